// HTTP client of the receiptflow API: bearer auth, problem+json errors, uploads with progress.

const SENTENCES = {
  empty_file: "The file is empty.",
  unsupported_type: "This kind of file is not supported: use JPEG, PNG, HEIC, TIFF, WebP, GIF, BMP or PDF.",
  corrupt_image: "The file is damaged or incomplete, so it cannot be read as an image.",
  too_large: "The file is too large.",
  too_many_pixels: "The image has too many pixels to process safely.",
  too_small: "The image is too small to read.",
  too_many_pages: "The document has too many pages.",
  empty_document: "The document has no pages.",
  encrypted_document: "The PDF is password-protected.",
  file_unreadable: "The file could not be read (it may never have been uploaded).",
  provider_error: "The reading service failed on this receipt.",
  provider_throttled: "The reading service is busy; retry in a moment.",
  provider_unavailable: "The reading service is unavailable; retry later.",
  provider_timeout: "The reading service took too long; retry later.",
  circuit_open: "The reading service is paused after repeated failures; retry later.",
  provider_not_configured: "No reading service is configured for this request.",
  unreadable_document: "No receipt could be read from this image.",
  no_text_found: "No text was found in this image.",
  worker_crashed: "The scanner crashed on this file.",
  cancelled: "Scanning was cancelled.",
  not_found: "It does not exist, or it belongs to someone else.",
  conflict: "That cannot be done in the current state.",
  invalid_request: "The request was refused.",
  limit_exceeded: "A limit was reached.",
  rate_limited: "Too many requests; wait a moment.",
  unauthorized: "The key or token was refused. Sign in again.",
  store_unavailable: "Storage is unavailable; retry later.",
  network_error: "The server could not be reached.",
  not_finished: "Still being scanned.",
};

/** A human sentence for a typed error code. */
export function sentence(code) {
  return SENTENCES[code] || "Something went wrong.";
}

/** An API error: the problem's `code`, `status` and `detail`. */
export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.code);
    this.code = problem.code || "error";
    this.status = problem.status || 0;
    this.detail = problem.detail || "";
    this.retryAfter = problem.retryAfter || null;
  }
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  return new ApiError({
    code: body.code || `http_${response.status}`,
    status: response.status,
    detail: body.detail || response.statusText,
    retryAfter: response.headers.get("Retry-After"),
  });
}

export class Api {
  /** baseUrl: "" for this origin, or e.g. https://abc.execute-api.eu-west-1.amazonaws.com */
  constructor({ baseUrl = "", token, socketUrl = "" }) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.socketUrl = socketUrl;
  }

  url(path) {
    return `${this.baseUrl}${path}`;
  }

  wsUrl() {
    if (this.socketUrl) return this.socketUrl;
    const base = new URL(this.baseUrl || globalThis.location.origin);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    base.pathname = `${base.pathname.replace(/\/+$/, "")}/v1/ws`;
    base.search = "";
    return base.toString();
  }

  async request(method, path, { json, accept } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (json !== undefined) headers["Content-Type"] = "application/json";
    if (accept) headers.Accept = accept;
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    } catch {
      throw new ApiError({ code: "network_error", status: 0, detail: "the server could not be reached" });
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  }

  async json(method, path, options) {
    return (await this.request(method, path, options)).json();
  }

  listBatches(limit = 30) {
    return this.json("GET", `/v1/batches?limit=${limit}`);
  }

  createBatch(name, files, options = {}) {
    const announced = files.map((f) => ({ name: f.name.slice(0, 255), content_type: f.type || "application/octet-stream" }));
    return this.json("POST", "/v1/batches", { json: { name, files: announced, options } });
  }

  getBatch(id) {
    return this.json("GET", `/v1/batches/${encodeURIComponent(id)}`);
  }

  startBatch(id) {
    return this.json("POST", `/v1/batches/${encodeURIComponent(id)}/start`);
  }

  cancelBatch(id) {
    return this.json("DELETE", `/v1/batches/${encodeURIComponent(id)}`);
  }

  retryFailed(id) {
    return this.json("POST", `/v1/batches/${encodeURIComponent(id)}/retry-failed`);
  }

  /** Every item of a batch (follows the cursor). */
  async allItems(id, status = null) {
    const items = [];
    let cursor = null;
    for (;;) {
      const query = new URLSearchParams({ limit: "500" });
      if (cursor) query.set("cursor", cursor);
      if (status) query.set("status", status);
      const page = await this.json("GET", `/v1/batches/${encodeURIComponent(id)}/results?${query}`);
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) return items;
    }
  }

  itemPath(batchId, itemId) {
    return `/v1/batches/${encodeURIComponent(batchId)}/items/${encodeURIComponent(itemId)}`;
  }

  getItem(batchId, itemId) {
    return this.json("GET", this.itemPath(batchId, itemId));
  }

  patchItem(batchId, itemId, patch) {
    return this.json("PATCH", this.itemPath(batchId, itemId), { json: patch });
  }

  acceptItem(batchId, itemId) {
    return this.json("POST", `${this.itemPath(batchId, itemId)}/accept`);
  }

  /** A blob: URL for an authenticated image (thumbnail, page render); revoke it when done. */
  async imageUrl(path) {
    const response = await this.request("GET", path);
    return URL.createObjectURL(await response.blob());
  }

  /** The batch's export as a Blob: "csv" (the API's CSV) or "json" (every item, corrections included). */
  async exportBlob(id, format) {
    if (format === "csv") {
      const response = await this.request("GET", `/v1/batches/${encodeURIComponent(id)}/results?format=csv`);
      return response.blob();
    }
    const items = await this.allItems(id);
    return new Blob([JSON.stringify({ batch_id: id, items }, null, 2)], { type: "application/json" });
  }

  /**
   * Upload one file to an upload target (this app's multipart route, or a presigned S3 POST) with
   * XHR so progress can be shown. Resolves with the parsed JSON answer (or null), rejects with ApiError.
   */
  upload(target, file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields || {})) form.append(name, value);
      form.append(target.file_field || "files", file, file.name);
      const xhr = new XMLHttpRequest();
      const presigned = Boolean(target.fields && Object.keys(target.fields).length);
      xhr.open(target.method || "POST", new URL(target.url, this.baseUrl || globalThis.location.origin).toString());
      if (!presigned) xhr.setRequestHeader("Authorization", `Bearer ${this.token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          try {
            resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
          } catch {
            resolve(null);
          }
          return;
        }
        let body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = {};
        }
        reject(new ApiError({ code: body.code || `http_${xhr.status}`, status: xhr.status, detail: body.detail || xhr.statusText }));
      };
      xhr.onerror = () => reject(new ApiError({ code: "network_error", status: 0, detail: "the upload did not reach the server" }));
      xhr.send(form);
    });
  }
}
