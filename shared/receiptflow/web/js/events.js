// The reference JavaScript client of receiptflow's real-time protocol (docs/api.md, docs/events.md).
//
// One WebSocket follows any number of batches. The rule every client follows:
//   1. events of a batch carry `seq` (1, 2, 3, ...); a `snapshot` carries the batch's counter, and
//      every event numbered up to it is already reflected in it;
//   2. deliver events in `seq` order; drop duplicates (seq <= the last delivered);
//   3. an event that arrives early (a gap before it) waits in a buffer for BUFFER_MS;
//   4. when the gap outlives the buffer, subscribe again: the server answers with a fresh snapshot
//      (or, where it supports `after`, with the missed events), and the client re-reads what it shows;
//   5. after a dropped connection (network change, laptop lid, server restart) reconnect with backoff
//      and subscribe again to every followed batch, so nothing is missing afterwards;
//   6. ping every PING_MS; a socket silent for DEAD_MS is treated as dropped.
//
// Authentication: browsers cannot set headers on a WebSocket. The key is offered as the subprotocol
// pair ["receiptflow.bearer", key] (never in the URL). A server that does not speak that form refuses
// the handshake; the client then falls back once to `?token=` (which the server accepts and keeps out
// of its logs) and remembers the choice for the connection's lifetime.

export const BUFFER_MS = 2000;
export const PING_MS = 20000;
export const DEAD_MS = 45000;
export const BEARER_PROTOCOL = "receiptflow.bearer";
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

/** Per-batch ordering state: the last delivered seq and the events that came early. */
export class SeqOrderer {
  constructor() {
    this.lastSeq = null; // null until the first snapshot: nothing can be ordered before it
    this.pending = new Map(); // seq -> event
  }

  /** Take a snapshot: everything up to its seq is in it. Returns the buffered events now in order. */
  snapshot(seq) {
    this.lastSeq = seq;
    for (const s of [...this.pending.keys()]) if (s <= seq) this.pending.delete(s);
    return this.drain();
  }

  /** Take one live event. Returns the events now deliverable, in order (possibly none). */
  push(event) {
    if (this.lastSeq !== null && event.seq <= this.lastSeq) return []; // duplicate or already in a snapshot
    this.pending.set(event.seq, event);
    return this.lastSeq === null ? [] : this.drain();
  }

  drain() {
    const out = [];
    while (this.pending.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      out.push(this.pending.get(this.lastSeq));
      this.pending.delete(this.lastSeq);
    }
    return out;
  }

  /** True while an event waits behind a gap. */
  get hasGap() {
    return this.pending.size > 0;
  }
}

/**
 * BatchFeed: follow batches over one WebSocket with the ordering and reconnect rules above.
 *
 * Callbacks: onEvent(event) for each event in order (snapshots included), onResync(batchId, snapshot)
 * after every snapshot (re-read whatever the snapshot does not carry, e.g. the items), onProblem(msg),
 * onStatus("connecting" | "live" | "reconnecting" | "closed").
 */
export class BatchFeed {
  constructor({ wsUrl, token, onEvent, onResync, onProblem, onStatus, bufferMs = BUFFER_MS, WebSocketImpl }) {
    this.wsUrl = wsUrl;
    this.token = token;
    this.onEvent = onEvent || (() => {});
    this.onResync = onResync || (() => {});
    this.onProblem = onProblem || (() => {});
    this.onStatus = onStatus || (() => {});
    this.bufferMs = bufferMs;
    this.WebSocketImpl = WebSocketImpl || globalThis.WebSocket;
    this.batches = new Map(); // batchId -> { order: SeqOrderer, gapTimer }
    this.socket = null;
    this.authMode = "subprotocol";
    this.attempt = 0;
    this.closed = false;
    this.lastHeard = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.resubscribes = 0; // how many times a gap or a reconnect made the client re-sync (for tests and UI)
    this._online = () => this.reconnectNow();
    this._visible = () => {
      if (globalThis.document && document.visibilityState === "visible") this.checkAlive();
    };
    globalThis.addEventListener?.("online", this._online);
    globalThis.document?.addEventListener("visibilitychange", this._visible);
    this.connect();
  }

  follow(batchId) {
    if (!this.batches.has(batchId)) this.batches.set(batchId, { order: new SeqOrderer(), gapTimer: null });
    this.subscribe(batchId);
  }

  unfollow(batchId) {
    const state = this.batches.get(batchId);
    if (!state) return;
    clearTimeout(state.gapTimer);
    this.batches.delete(batchId);
    this.send({ action: "unsubscribe", batch_id: batchId });
  }

  close() {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    for (const state of this.batches.values()) clearTimeout(state.gapTimer);
    globalThis.removeEventListener?.("online", this._online);
    globalThis.document?.removeEventListener("visibilitychange", this._visible);
    if (this.socket) this.socket.close(1000, "closed by the client");
    this.setStatus("closed");
  }

  /** Drop the connection as a network would (used by the laptop-lid test and the UI's "reconnect"). */
  dropConnection() {
    if (this.socket) this.socket.close(4000, "dropped by the client");
  }

  reconnectNow() {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    const state = this.socket ? this.socket.readyState : 3;
    if (state === 0 || state === 1) this.checkAlive();
    else this.connect();
  }

  checkAlive() {
    if (this.socket && this.socket.readyState === 1) {
      if (Date.now() - this.lastHeard > DEAD_MS) this.dropConnection();
      else this.send({ action: "ping" });
    } else {
      this.reconnectNow();
    }
  }

  // --- internals -----------------------------------------------------------------------------
  setStatus(status) {
    this.status = status;
    this.onStatus(status);
  }

  connect() {
    if (this.closed) return;
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let socket;
    if (this.authMode === "subprotocol") {
      socket = new this.WebSocketImpl(this.wsUrl, [BEARER_PROTOCOL, this.token]);
    } else {
      const url = new URL(this.wsUrl);
      url.searchParams.set("token", this.token);
      socket = new this.WebSocketImpl(url.toString());
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.setStatus("live");
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.checkAlive(), PING_MS);
      for (const batchId of this.batches.keys()) this.subscribe(batchId);
    };
    socket.onmessage = (message) => {
      this.lastHeard = Date.now();
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      this.receive(data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      clearInterval(this.pingTimer);
      this.socket = null;
      if (this.closed) return;
      if (!opened && this.authMode === "subprotocol" && event.code !== 1008) {
        this.authMode = "query"; // this server does not speak the subprotocol form
        this.connect();
        return;
      }
      this.scheduleReconnect();
    };
    socket.onerror = () => {}; // onclose follows and decides
  }

  scheduleReconnect() {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.setStatus("reconnecting");
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), base + Math.random() * base * 0.3);
  }

  send(message) {
    if (this.socket && this.socket.readyState === 1) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  subscribe(batchId) {
    const state = this.batches.get(batchId);
    const message = { action: "subscribe", batch_id: batchId };
    if (state && state.order.lastSeq !== null) message.after = state.order.lastSeq;
    this.send(message);
  }

  resync(batchId) {
    this.resubscribes += 1;
    this.subscribe(batchId);
  }

  receive(data) {
    if (data.type === "pong" || data.type === "unsubscribed") return;
    if (data.type === "problem") {
      this.onProblem(data);
      return;
    }
    const state = this.batches.get(data.batch_id);
    if (!state || typeof data.seq !== "number") return;
    if (data.type === "snapshot") {
      clearTimeout(state.gapTimer);
      state.gapTimer = null;
      const following = state.order.snapshot(data.seq);
      this.onEvent(data);
      this.onResync(data.batch_id, data);
      following.forEach((event) => this.onEvent(event));
    } else {
      state.order.push(data).forEach((event) => this.onEvent(event));
    }
    if (state.order.hasGap && state.gapTimer === null) {
      state.gapTimer = setTimeout(() => {
        state.gapTimer = null;
        if (state.order.hasGap) this.resync(data.batch_id);
      }, this.bufferMs);
    } else if (!state.order.hasGap && state.gapTimer !== null) {
      clearTimeout(state.gapTimer);
      state.gapTimer = null;
    }
  }
}
