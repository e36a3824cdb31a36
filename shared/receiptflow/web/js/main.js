// The receiptflow web app: sign in, drop receipts, watch them scan live, review, correct, export.

import { Api, ApiError, sentence } from "./api.js";
import { BatchFeed } from "./events.js";
import { Review } from "./review.js";
import { download, el, formatValue, seconds } from "./ui.js";

const STORE = {
  base: "receiptflow.base", ws: "receiptflow.ws", token: "receiptflow.token", threshold: "receiptflow.threshold",
};
const DEFAULT_THRESHOLD = 0.6;
const UPLOAD_PARALLEL = 3;
const RUNNING_POLL_MS = 1500;
const STATUS_LABEL = { pending: "queued", running: "scanning", succeeded: "done", failed: "error", cancelled: "cancelled" };
const $ = (id) => document.getElementById(id);

const app = {
  api: null,
  feed: null,
  review: null,
  threshold: Number(sessionStorage.getItem(STORE.threshold) || DEFAULT_THRESHOLD),
  batch: null, // the batch shown
  items: new Map(), // item_id -> item (in upload order)
  thumbs: new Map(), // item_id -> object URL (local preview or fetched thumbnail)
  uploads: [], // { file, preview, state, progress, error, itemId, target }
  uploadBatch: null,
  pollTimer: null,
  reloading: null,
};
globalThis.receiptflowApp = app; // handle for the browser tests and the console

// --- sign in and settings -------------------------------------------------------------------
function credentials() {
  return {
    base: sessionStorage.getItem(STORE.base) || "",
    ws: sessionStorage.getItem(STORE.ws) || "",
    token: sessionStorage.getItem(STORE.token) || "",
  };
}

async function signIn(base, token) {
  const api = new Api({ baseUrl: base, token, socketUrl: credentials().ws });
  await api.listBatches(1); // refuses a bad key with 401
  sessionStorage.setItem(STORE.base, base);
  sessionStorage.setItem(STORE.token, token);
  app.api = api;
  startFeed();
  if (app.review) app.review.api = api;
  else {
    app.review = new Review({
      api,
      threshold: app.threshold,
      getItems: () => ({ batchId: app.batch && app.batch.batch_id, items: [...app.items.values()] }),
      onItemChanged: (item) => {
        app.items.set(item.item_id, item);
        renderCard(item);
      },
    });
  }
  $("signin").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  await refreshBatches();
}

function signOut() {
  sessionStorage.removeItem(STORE.token);
  if (app.feed) app.feed.close();
  location.reload();
}

function showSignIn(message = "") {
  $("signin").hidden = false;
  $("workspace").hidden = true;
  $("signin-error").textContent = message;
  $("signin-key").focus();
}

function startFeed() {
  if (app.feed) app.feed.close();
  app.feed = new BatchFeed({
    wsUrl: app.api.wsUrl(),
    token: app.api.token,
    onEvent,
    onResync: () => reloadItems(),
    onProblem: (problem) => {
      $("batch-error").textContent = `${problem.code}: ${sentence(problem.code)} ${problem.detail || ""}`;
    },
    onStatus: (status) => {
      const node = $("connection");
      node.textContent = status === "live" ? "live" : status;
      node.className = `connection ${status}`;
    },
  });
}

function openSettings() {
  const { base, ws, token } = credentials();
  $("settings-base").value = base;
  $("settings-ws").value = ws;
  $("settings-token").value = token;
  $("settings-threshold").value = String(app.threshold);
  $("settings").showModal();
}

async function saveSettings() {
  const base = $("settings-base").value.trim();
  sessionStorage.setItem(STORE.ws, $("settings-ws").value.trim());
  const token = $("settings-token").value.trim();
  const threshold = Number($("settings-threshold").value);
  if (threshold >= 0 && threshold <= 1) {
    app.threshold = threshold;
    sessionStorage.setItem(STORE.threshold, String(threshold));
    if (app.review) app.review.threshold = threshold;
  }
  sessionStorage.setItem(STORE.base, base);
  if (token) {
    try {
      await signIn(base, token);
    } catch (e) {
      showSignIn(e instanceof ApiError ? `${sentence(e.code)} (${e.detail})` : String(e));
    }
  }
}

// --- batches --------------------------------------------------------------------------------
async function refreshBatches() {
  let batches;
  try {
    batches = await app.api.listBatches();
  } catch (e) {
    return handleError(e, $("batch-error"));
  }
  $("batch-list").replaceChildren(
    ...batches.map((b) => {
      const done = b.counts.succeeded + b.counts.failed + b.counts.cancelled;
      const label = b.name || `Batch ${b.batch_id.slice(0, 8)}`;
      return el("li", {},
        el("button", {
          type: "button", "data-batch": b.batch_id, "aria-current": String(app.batch?.batch_id === b.batch_id),
          onclick: () => openBatch(b.batch_id),
        },
        label, " ", el("span", { className: `badge ${b.status}` }, b.status.replace("_", " ")),
        el("span", { className: "when" }, `${new Date(b.created_at).toLocaleString()} · ${done}/${b.counts.total}`)),
      );
    }),
  );
}

async function openBatch(batchId) {
  if (app.batch && app.batch.batch_id !== batchId) {
    app.feed.unfollow(app.batch.batch_id);
    for (const url of app.thumbs.values()) URL.revokeObjectURL(url);
    app.thumbs.clear();
  }
  try {
    app.batch = await app.api.getBatch(batchId);
  } catch (e) {
    return handleError(e, $("batch-error"));
  }
  app.items.clear();
  $("cards").replaceChildren();
  $("batch-error").textContent = "";
  $("batch-empty").hidden = true;
  $("batch-view").hidden = false;
  renderBatch();
  for (const button of document.querySelectorAll("#batch-list button")) {
    button.setAttribute("aria-current", String(button.dataset.batch === batchId));
  }
  await reloadItems();
  app.feed.follow(batchId);
  schedulePoll();
}

/** Re-read every item of the batch shown (after a snapshot: the snapshot does not carry items). A call
 * while a reload runs makes it run once more afterwards, so no answer older than the call wins. */
function reloadItems() {
  if (!app.batch) return Promise.resolve();
  if (app.reloading) {
    app.reloadAgain = true;
    return app.reloading;
  }
  const batchId = app.batch.batch_id;
  app.reloading = (async () => {
    do {
      app.reloadAgain = false;
      try {
        const [batch, items] = await Promise.all([app.api.getBatch(batchId), app.api.allItems(batchId)]);
        if (!app.batch || app.batch.batch_id !== batchId) return;
        applyBatch(batch);
        for (const item of items) {
          app.items.set(item.item_id, item);
          renderCard(item);
        }
      } catch (e) {
        handleError(e, $("batch-error"));
      }
    } while (app.reloadAgain);
  })().finally(() => {
    app.reloading = null;
  });
  return app.reloading;
}

/** Show ``batch`` unless what is shown is newer: every state of a batch carries the seq of the last event
 * reflected in it (``last_seq``), so an HTTP answer that raced a live event cannot undo it. */
function applyBatch(batch) {
  if (app.batch && batch.batch_id === app.batch.batch_id && (batch.last_seq ?? 0) < (app.batch.last_seq ?? 0)) {
    return false;
  }
  const was = app.batch && app.batch.batch_id === batch.batch_id ? app.batch.status : null;
  app.batch = { ...(app.batch && app.batch.batch_id === batch.batch_id ? app.batch : {}), ...batch };
  renderBatch();
  if (was !== null && was !== batch.status) refreshBatches();
  return true;
}

function counts() {
  const c = app.batch.counts;
  return { done: c.succeeded + c.failed + c.cancelled, total: c.total, failed: c.failed };
}

function renderBatch(progress = null) {
  const b = app.batch;
  $("batch-title").textContent = b.name || `Batch ${b.batch_id.slice(0, 8)}`;
  const status = $("batch-status");
  status.textContent = b.status.replace("_", " ");
  status.className = `badge ${b.status}`;
  const { done, total, failed } = progress || counts();
  $("batch-progress").max = Math.max(total, 1);
  $("batch-progress").value = done;
  $("batch-counts").textContent = `${done} of ${total} done${failed ? `, ${failed} failed` : ""}`;
  const rate = progress ? progress.rate : b.rate;
  const eta = progress ? progress.eta_seconds : b.eta_seconds;
  const figures = [];
  if (rate) figures.push(`${rate.toFixed(2)} receipts/s`);
  if (eta !== null && eta !== undefined && !isTerminal(b.status)) figures.push(`about ${seconds(eta)} left`);
  if (b.elapsed_s) figures.push(`${seconds(b.elapsed_s)} elapsed`);
  $("batch-figures").textContent = figures.join(" · ");
  $("batch-cancel").disabled = isTerminal(b.status);
  $("batch-retry").disabled = !isTerminal(b.status) || !b.counts.failed;
}

function isTerminal(status) {
  return ["succeeded", "partially_failed", "failed", "cancelled"].includes(status);
}

function onEvent(event) {
  if (!app.batch || event.batch_id !== app.batch.batch_id) return;
  if (event.type === "snapshot") {
    applyBatch(event.batch);
    return;
  }
  app.batch.last_seq = Math.max(app.batch.last_seq ?? 0, event.seq);
  if (event.type === "progress") {
    app.batch.rate = event.rate;
    app.batch.eta_seconds = event.eta_seconds;
    renderBatch({ done: event.done, total: event.total, failed: event.failed, rate: event.rate, eta_seconds: event.eta_seconds });
  } else if (event.type === "result" || event.type === "error") {
    const item = app.items.get(event.item_id) || { item_id: event.item_id, source: event.source };
    if (event.type === "result") {
      item.status = "succeeded";
      item.partial = event;
      item.result = null; // the full result is read on demand
      app.items.set(item.item_id, item);
      renderCard(item);
      refreshItem(item.item_id);
    } else {
      item.status = "failed";
      item.result = { error: { code: event.code, message: event.message, retryable: event.retryable } };
      app.items.set(item.item_id, item);
      renderCard(item);
    }
  } else if (event.type === "complete") {
    app.batch.status = event.status;
    app.batch.counts = event.counts;
    renderBatch();
    reloadItems();
    refreshBatches();
  }
}

async function refreshItem(itemId) {
  try {
    const item = await app.api.getItem(app.batch.batch_id, itemId);
    app.items.set(itemId, item);
    renderCard(item);
  } catch (e) {
    handleError(e, $("batch-error"));
  }
}

/** While the batch runs, mark the items being scanned (the protocol has no per-item start event). */
function schedulePoll() {
  clearTimeout(app.pollTimer);
  app.pollTimer = setTimeout(async () => {
    if (!app.batch) return;
    if (app.batch.status === "running") {
      try {
        const running = await app.api.allItems(app.batch.batch_id, "running");
        for (const fresh of running) {
          const item = app.items.get(fresh.item_id);
          if (item && item.status === "pending") {
            item.status = "running";
            renderCard(item);
          }
        }
      } catch {
        // polling is best effort; the event stream is the source of truth
      }
    }
    schedulePoll();
  }, RUNNING_POLL_MS);
}

// --- cards ----------------------------------------------------------------------------------
function cardValues(item) {
  const receipt = item.result && item.result.receipt;
  const correction = item.correction || {};
  const partial = item.partial || {};
  const value = (name, fallback) => {
    if (correction[name] !== undefined) return `${correction[name]} (corrected)`;
    if (receipt && receipt[name] && receipt[name].value !== null) return formatValue(name, receipt[name]);
    return fallback ?? "";
  };
  return {
    vendor: value("vendor_name", partial.vendor),
    total: value("total", partial.total !== undefined && partial.total !== null ? `${partial.total}${partial.currency ? ` ${partial.currency}` : ""}` : ""),
    date: value("date", partial.date),
  };
}

function renderCard(item) {
  const id = `card-${item.item_id}`;
  const status = item.status || "pending";
  const values = cardValues(item);
  const error = item.result && item.result.error;
  const thumb = el("img", { className: "thumb", alt: "", src: app.thumbs.get(item.item_id) || null });
  const card = el("li", { id, className: `card state-${status}`, "data-status": status, "data-item": item.item_id },
    thumb,
    el("div", {},
      el("h3", {}, item.source || item.item_id),
      el("span", { className: `badge ${status}` }, STATUS_LABEL[status] || status),
      item.reviewed ? el("span", { className: "badge reviewed" }, " reviewed") : null,
      status === "succeeded"
        ? el("dl", {},
            el("dt", {}, "Vendor"), el("dd", { "data-field": "vendor" }, values.vendor || "—"),
            el("dt", {}, "Total"), el("dd", { "data-field": "total" }, values.total || "—"),
            el("dt", {}, "Date"), el("dd", { "data-field": "date" }, values.date || "—"))
        : null,
      error
        ? el("p", { className: "card-error" }, el("code", {}, error.code), ` ${sentence(error.code)} `, el("span", { className: "muted" }, error.message))
        : null,
      status === "succeeded"
        ? el("button", { type: "button", className: "secondary small", onclick: () => app.review.show(item.item_id),
            "aria-label": `Review ${item.source || item.item_id}` }, "Review")
        : null,
    ),
  );
  const old = document.getElementById(id);
  if (old) old.replaceWith(card);
  else $("cards").append(card);
  if (!app.thumbs.has(item.item_id) && status !== "failed") loadThumb(item.item_id);
}

const thumbQueue = [];
let thumbsLoading = 0;
function loadThumb(itemId) {
  if (app.thumbs.has(itemId) || thumbQueue.includes(itemId)) return;
  thumbQueue.push(itemId);
  pumpThumbs();
}

function pumpThumbs() {
  while (thumbsLoading < 4 && thumbQueue.length) {
    const itemId = thumbQueue.shift();
    const batchId = app.batch.batch_id;
    thumbsLoading += 1;
    app.api.imageUrl(`${app.api.itemPath(batchId, itemId)}/thumbnail`)
      .then((url) => {
        if (app.batch && app.batch.batch_id === batchId) {
          app.thumbs.set(itemId, url);
          const img = document.querySelector(`#card-${CSS.escape(itemId)} img.thumb`);
          if (img) img.src = url;
        } else {
          URL.revokeObjectURL(url);
        }
      })
      .catch(() => app.thumbs.set(itemId, ""))
      .finally(() => {
        thumbsLoading -= 1;
        pumpThumbs();
      });
  }
}

// --- uploads --------------------------------------------------------------------------------
function addFiles(files) {
  for (const file of files) {
    const preview = file.type.startsWith("image/") ? URL.createObjectURL(file) : null;
    app.uploads.push({ file, preview, state: "ready", progress: 0, error: null, itemId: null, target: null });
  }
  renderUploads();
}

function renderUploads() {
  const list = $("upload-list");
  list.replaceChildren(
    ...app.uploads.map((u, index) => {
      const label = `${u.file.name}`;
      const picture = u.preview
        ? el("img", { src: u.preview, alt: "", onerror: (e) => e.target.replaceWith(el("span", { className: "doc" }, "file")) })
        : el("span", { className: "doc" }, u.file.type === "application/pdf" ? "PDF" : "file");
      const state = {
        ready: "ready", uploading: `${Math.round(u.progress * 100)}%`, done: "uploaded",
        failed: `failed: ${u.error ? `${u.error.code} — ${sentence(u.error.code)}` : ""}`,
      }[u.state];
      return el("li", { "data-upload": String(index), "data-state": u.state },
        picture,
        el("div", {},
          el("div", { className: "name" }, label),
          el("progress", { max: 1, value: u.progress, "aria-label": `Upload of ${label}` }),
          el("div", { className: "muted" }, state)),
        u.state === "failed"
          ? el("button", { type: "button", className: "secondary small", onclick: () => retryUpload(u), "aria-label": `Retry ${label}` }, "Retry")
          : u.state === "ready" && !app.uploadBatch
            ? el("button", { type: "button", className: "secondary small", onclick: () => removeUpload(index), "aria-label": `Remove ${label}` }, "Remove")
            : el("span"),
      );
    }),
  );
  const busy = app.uploads.some((u) => u.state === "uploading");
  const failed = app.uploads.some((u) => u.state === "failed");
  $("upload-start").disabled = !app.uploads.length || busy;
  $("upload-start").textContent = app.uploadBatch && failed ? "Start without the failed files" : "Upload and scan";
  $("upload-clear").disabled = !app.uploads.length || busy;
}

function removeUpload(index) {
  const [removed] = app.uploads.splice(index, 1);
  if (removed.preview) URL.revokeObjectURL(removed.preview);
  renderUploads();
}

function clearUploads() {
  for (const u of app.uploads) if (u.preview) URL.revokeObjectURL(u.preview);
  app.uploads = [];
  app.uploadBatch = null;
  $("upload-status").textContent = "";
  renderUploads();
}

async function startUploads() {
  const status = $("upload-status");
  if (app.uploadBatch) return startScanning(); // the user chose to go on without the failed files
  const files = app.uploads.map((u) => u.file);
  let created;
  try {
    created = await app.api.createBatch($("batch-name").value.trim(), files);
  } catch (e) {
    return handleError(e, status);
  }
  app.uploadBatch = created.batch.batch_id;
  const perFile = created.uploads.length === files.length && created.uploads.every((t) => t.item_id);
  app.uploads.forEach((u, i) => {
    u.target = perFile ? created.uploads[i] : created.uploads[0];
    u.itemId = perFile ? created.uploads[i].item_id : null;
  });
  status.textContent = `Uploading ${files.length} file(s)…`;
  await runUploads(app.uploads.filter((u) => u.state !== "done"));
  await afterUploads();
}

async function runUploads(queue) {
  const pending = [...queue];
  const worker = async () => {
    while (pending.length) await uploadOne(pending.shift());
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_PARALLEL, pending.length) }, worker));
}

async function uploadOne(u) {
  u.state = "uploading";
  u.progress = 0;
  u.error = null;
  renderUploads();
  try {
    const answer = await app.api.upload(u.target, u.file, (p) => {
      u.progress = p;
      const row = document.querySelector(`#upload-list li[data-upload="${app.uploads.indexOf(u)}"] progress`);
      if (row) row.value = p;
    });
    if (answer && answer.items && answer.items.length) u.itemId = answer.items[0].item_id;
    u.state = "done";
  } catch (e) {
    u.state = "failed";
    u.error = e instanceof ApiError ? e : new ApiError({ code: "network_error" });
  }
  renderUploads();
}

async function retryUpload(u) {
  await runUploads([u]);
  await afterUploads();
}

async function afterUploads() {
  const failed = app.uploads.filter((u) => u.state === "failed").length;
  const busy = app.uploads.some((u) => u.state === "uploading");
  if (busy) return;
  if (failed) {
    $("upload-status").textContent = `${failed} upload(s) failed: retry them, or start without them.`;
    renderUploads();
    return;
  }
  await startScanning();
}

async function startScanning() {
  const batchId = app.uploadBatch;
  const status = $("upload-status");
  const previews = new Map(app.uploads.filter((u) => u.itemId && u.preview).map((u) => [u.itemId, u.preview]));
  try {
    await app.api.startBatch(batchId);
  } catch (e) {
    return handleError(e, status);
  }
  status.textContent = "Scanning started.";
  app.uploads = [];
  app.uploadBatch = null;
  renderUploads();
  await openBatch(batchId);
  for (const [itemId, url] of previews) {
    app.thumbs.set(itemId, url);
    const img = document.querySelector(`#card-${CSS.escape(itemId)} img.thumb`);
    if (img) img.src = url;
  }
  refreshBatches();
}

// --- batch actions --------------------------------------------------------------------------
async function batchAction(action) {
  $("batch-error").textContent = "";
  try {
    applyBatch(await action(app.batch.batch_id));
    await reloadItems();
    refreshBatches();
  } catch (e) {
    handleError(e, $("batch-error"));
  }
}

async function exportBatch(format) {
  try {
    const blob = await app.api.exportBlob(app.batch.batch_id, format);
    download(blob, `receiptflow-${app.batch.batch_id}.${format}`);
  } catch (e) {
    handleError(e, $("batch-error"));
  }
}

function handleError(error, node) {
  if (error instanceof ApiError) {
    if (error.code === "unauthorized") return showSignIn(sentence("unauthorized"));
    node.textContent = `${error.code}: ${sentence(error.code)} ${error.detail}`;
  } else {
    node.textContent = String(error);
  }
  return undefined;
}

// --- wiring ---------------------------------------------------------------------------------
function wire() {
  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("signin-error").textContent = "";
    try {
      await signIn(credentials().base, $("signin-key").value.trim());
      $("signin-key").value = "";
    } catch (err) {
      $("signin-error").textContent = err instanceof ApiError ? `${sentence(err.code)} (${err.detail})` : String(err);
    }
  });
  $("open-settings").addEventListener("click", openSettings);
  $("settings").addEventListener("close", () => {
    if ($("settings").returnValue === "save") saveSettings();
  });
  $("sign-out").addEventListener("click", signOut);
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    addFiles([...e.dataTransfer.files]);
  });
  for (const id of ["file-input", "camera-input"]) {
    $(id).addEventListener("change", (e) => {
      addFiles([...e.target.files]);
      e.target.value = "";
    });
  }
  $("upload-start").addEventListener("click", startUploads);
  $("upload-clear").addEventListener("click", clearUploads);
  $("refresh-batches").addEventListener("click", refreshBatches);
  $("batch-cancel").addEventListener("click", () => batchAction((id) => app.api.cancelBatch(id)));
  $("batch-retry").addEventListener("click", () => batchAction((id) => app.api.retryFailed(id)));
  $("export-csv").addEventListener("click", () => exportBatch("csv"));
  $("export-json").addEventListener("click", () => exportBatch("json"));
  $("review-first").addEventListener("click", async () => {
    if (!(await app.review.show())) $("batch-error").textContent = "No finished receipt to review yet.";
  });
}

async function boot() {
  wire();
  const { base, token } = credentials();
  if (!token) return showSignIn();
  try {
    await signIn(base, token);
  } catch (e) {
    showSignIn(e instanceof ApiError ? sentence(e.code) : String(e));
  }
}

boot();
