// node --test: the reference client's ordering and reconnect rules (shared/receiptflow/web/js/events.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { BatchFeed, BEARER_PROTOCOL, SeqOrderer } from "../../../shared/receiptflow/web/js/events.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class FakeSocket {
  static all = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() { this.readyState = 1; this.onopen(); }
  send(text) { this.sent.push(JSON.parse(text)); }
  deliver(message) { this.onmessage({ data: JSON.stringify(message) }); }
  close(code = 1006) { this.readyState = 3; this.onclose({ code }); }
}

function feed(options = {}) {
  FakeSocket.all = [];
  const seen = [];
  const resyncs = [];
  const f = new BatchFeed({
    wsUrl: "ws://host/v1/ws", token: "k", bufferMs: 30, WebSocketImpl: FakeSocket,
    onEvent: (e) => seen.push(e.type === "snapshot" ? `s${e.seq}` : e.seq),
    onResync: (id, s) => resyncs.push(s.seq),
    ...options,
  });
  return { f, seen, resyncs };
}

test("SeqOrderer delivers in order, buffers early events and drops duplicates", () => {
  const o = new SeqOrderer();
  assert.deepEqual(o.push({ seq: 4 }), []); // before any snapshot nothing is ordered
  assert.deepEqual(o.snapshot(3).map((e) => e.seq), [4]);
  assert.deepEqual(o.push({ seq: 6 }), []);
  assert.equal(o.hasGap, true);
  assert.deepEqual(o.push({ seq: 5 }).map((e) => e.seq), [5, 6]);
  assert.deepEqual(o.push({ seq: 5 }), []);
  assert.equal(o.hasGap, false);
  o.push({ seq: 9 });
  assert.deepEqual(o.snapshot(10), []); // a snapshot covers what it numbers
  assert.equal(o.hasGap, false);
});

test("the key goes in the subprotocol, never in the URL", () => {
  const { f } = feed();
  const [socket] = FakeSocket.all;
  assert.equal(socket.url, "ws://host/v1/ws");
  assert.deepEqual(socket.protocols, [BEARER_PROTOCOL, "k"]);
  f.close();
});

test("a server without the subprotocol form gets ?token= once", () => {
  const { f } = feed();
  FakeSocket.all[0].close(1006); // handshake refused before open
  const second = FakeSocket.all[1];
  assert.equal(second.url, "ws://host/v1/ws?token=k");
  assert.equal(second.protocols, undefined);
  f.close();
});

test("a gap that outlives the buffer resubscribes from the last seq; a late event fills it first", async () => {
  const { f, seen, resyncs } = feed();
  const socket = FakeSocket.all[0];
  socket.open();
  f.follow("b");
  assert.deepEqual(socket.sent.at(-1), { action: "subscribe", batch_id: "b" });
  socket.deliver({ type: "snapshot", batch_id: "b", seq: 2, batch: {} });
  socket.deliver({ type: "progress", batch_id: "b", seq: 4 });
  socket.deliver({ type: "progress", batch_id: "b", seq: 3 }); // late, within the buffer
  assert.deepEqual(seen, ["s2", 3, 4]);
  socket.deliver({ type: "result", batch_id: "b", seq: 6 });
  await sleep(60);
  assert.deepEqual(socket.sent.at(-1), { action: "subscribe", batch_id: "b", after: 4 });
  socket.deliver({ type: "snapshot", batch_id: "b", seq: 7, batch: {} });
  socket.deliver({ type: "complete", batch_id: "b", seq: 8 });
  assert.deepEqual(seen, ["s2", 3, 4, "s7", 8]); // 6 is in snapshot 7
  assert.deepEqual(resyncs, [2, 7]);
  assert.equal(f.resubscribes, 1);
  f.close();
});

test("a dropped connection reconnects and subscribes again to every followed batch", async () => {
  const statuses = [];
  const { f } = feed({ onStatus: (s) => statuses.push(s) });
  const first = FakeSocket.all[0];
  first.open();
  f.follow("a");
  f.follow("b");
  first.deliver({ type: "snapshot", batch_id: "a", seq: 5, batch: {} });
  f.dropConnection();
  assert.equal(f.status, "reconnecting");
  await sleep(400);
  const second = FakeSocket.all.at(-1);
  assert.notEqual(second, first);
  second.open();
  assert.deepEqual(second.sent, [
    { action: "subscribe", batch_id: "a", after: 5 },
    { action: "subscribe", batch_id: "b" },
  ]);
  assert.deepEqual(statuses.slice(0, 2), ["connecting", "live"]);
  assert.equal(statuses.at(-1), "live");
  f.close();
});
