// Review and correct one receipt at a time: the page image with the OCR boxes, the fields (least
// certain first), failed checks beside their field, corrections sent as PATCH, "accept all".

import { ApiError } from "./api.js";
import { el, fieldLabel, formatValue } from "./ui.js";

export const FIELDS = [
  "vendor_name", "vendor_address", "vendor_phone", "receipt_number", "date", "time", "currency",
  "subtotal", "tax", "tip", "discount", "total", "amount_paid", "payment_method", "category",
];
const ALWAYS_SHOWN = new Set(["vendor_name", "date", "total"]);
// Which field a failed check is about (checks named elsewhere are shown above the fields).
const CHECK_FIELDS = {
  totals_add_up: "total",
  items_sum: "total",
  paid_covers_total: "amount_paid",
  date_not_future: "date",
  date_not_too_old: "date",
};

export function checkField(name) {
  return CHECK_FIELDS[name] || (name.startsWith("date") ? "date" : null);
}

export class Review {
  constructor({ api, getItems, threshold, onItemChanged }) {
    this.api = api;
    this.getItems = getItems; // () => { batchId, items: [...] } in card order
    this.threshold = threshold;
    this.onItemChanged = onItemChanged;
    this.section = document.getElementById("review");
    this.image = document.getElementById("page-image");
    this.boxes = document.getElementById("page-boxes");
    this.list = document.getElementById("review-fields");
    this.checks = document.getElementById("review-checks");
    this.state = document.getElementById("review-state");
    this.error = document.getElementById("review-error");
    this.caption = document.getElementById("page-caption");
    this.index = -1;
    this.item = null;
    this.page = 0;
    this.active = null;
    this.imageUrl = null;
    this.opener = null;
    document.getElementById("review-prev").addEventListener("click", () => this.step(-1));
    document.getElementById("review-next").addEventListener("click", () => this.step(1));
    document.getElementById("review-accept").addEventListener("click", () => this.acceptAll());
    document.getElementById("review-close").addEventListener("click", () => this.close());
    document.addEventListener("keydown", (e) => this.onKey(e));
  }

  get open() {
    return !this.section.hidden;
  }

  reviewable() {
    const { items } = this.getItems();
    return items.filter((item) => item.status === "succeeded");
  }

  /** Open on ``itemId`` (or the first unreviewed receipt with a flagged field, else the first). */
  async show(itemId = null) {
    const items = this.reviewable();
    if (!items.length) return false;
    let index = items.findIndex((item) => item.item_id === itemId);
    if (index < 0) index = items.findIndex((item) => !item.reviewed && this.flagged(item).length);
    if (index < 0) index = items.findIndex((item) => !item.reviewed);
    this.opener = document.activeElement;
    this.section.hidden = false;
    await this.load(Math.max(index, 0));
    document.getElementById("review-title").focus?.();
    return true;
  }

  close() {
    this.section.hidden = true;
    this.release();
    if (this.opener && document.contains(this.opener)) this.opener.focus();
  }

  release() {
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = null;
  }

  async step(delta) {
    const items = this.reviewable();
    if (!items.length) return;
    const next = Math.min(Math.max(this.index + delta, 0), items.length - 1);
    if (next !== this.index) await this.load(next);
  }

  async load(index) {
    const items = this.reviewable();
    const { batchId } = this.getItems();
    this.index = index;
    this.batchId = batchId;
    this.error.textContent = "";
    try {
      this.item = await this.api.getItem(batchId, items[index].item_id);
    } catch (e) {
      this.error.textContent = e instanceof ApiError ? e.detail : String(e);
      return;
    }
    this.active = null;
    const low = this.sortedFields().find((f) => f.low && f.box);
    this.page = low ? low.box.page : 0;
    await this.loadPage();
    this.render();
  }

  async loadPage() {
    this.release();
    const path = `${this.api.itemPath(this.batchId, this.item.item_id)}/pages/${this.page}`;
    try {
      this.imageUrl = await this.api.imageUrl(path);
      this.image.src = this.imageUrl;
      this.image.alt = `Page ${this.page + 1} of ${this.item.source}`;
    } catch (e) {
      this.image.removeAttribute("src");
      this.image.alt = `The image could not be shown: ${e.detail || e}`;
    }
    this.caption.textContent = `${this.item.source}, page ${this.page + 1}`;
  }

  receipt() {
    return (this.item && this.item.result && this.item.result.receipt) || {};
  }

  /** Fields to show: present, corrected or always shown; the least certain (or failing a check) first. */
  sortedFields(item = this.item) {
    const receipt = (item && item.result && item.result.receipt) || {};
    const correction = (item && item.correction) || {};
    const failed = (receipt.checks || []).filter((c) => !c.passed);
    const fields = FIELDS.map((name, order) => {
      const field = receipt[name] || {};
      const present = field.value !== null && field.value !== undefined;
      const checks = failed.filter((c) => checkField(c.name) === name);
      const low = (present && field.confidence < this.threshold) || checks.length > 0 || (!present && ALWAYS_SHOWN.has(name));
      return { name, order, field, present, checks, low, box: field.box || null, corrected: correction[name] };
    }).filter((f) => f.present || f.corrected !== undefined || ALWAYS_SHOWN.has(f.name));
    return fields.sort((a, b) => Number(b.low) - Number(a.low) || a.order - b.order);
  }

  flagged(item) {
    return this.sortedFields(item).filter((f) => f.low && f.corrected === undefined);
  }

  render() {
    const items = this.reviewable();
    const item = this.item;
    const fields = this.sortedFields();
    const flagged = fields.filter((f) => f.low).length;
    this.state.textContent =
      `Receipt ${this.index + 1} of ${items.length}: ${item.source}. ` +
      `${flagged ? `${flagged} field(s) to check. ` : ""}${item.reviewed ? "Reviewed." : "Not reviewed yet."}`;
    const unplaced = (this.receipt().checks || []).filter((c) => !c.passed && !checkField(c.name));
    this.checks.replaceChildren(
      ...unplaced.map((c) => el("li", { className: "fail" }, `Check failed: ${c.name}${c.detail ? ` (${c.detail})` : ""}`)),
    );
    this.list.replaceChildren(...fields.map((f) => this.fieldRow(f)));
    this.drawBoxes(fields);
    document.getElementById("review-prev").disabled = this.index <= 0;
    document.getElementById("review-next").disabled = this.index >= items.length - 1;
  }

  fieldRow(f) {
    const label = fieldLabel(f.name);
    const machine = f.present ? formatValue(f.name, f.field) : "not found";
    const head = el("div", { className: "field-head" },
      el("button", {
        type: "button", className: "secondary small field-name", "aria-pressed": String(this.active === f.name),
        "aria-label": `Show where ${label} was read`, disabled: !f.box, onclick: () => this.highlight(f.name),
      }, label),
      el("span", { className: "conf" }, f.present ? `confidence ${Math.round(f.field.confidence * 100)}%` : ""),
      f.low ? el("span", { className: "flag" }, "check") : null,
    );
    const inputId = `fix-${f.name}`;
    const message = el("p", { className: "error", role: "alert" });
    const input = el("input", {
      id: inputId, type: "text", value: f.corrected !== undefined ? String(f.corrected) : (f.present ? String(f.field.value) : ""),
      "data-field": f.name, autocomplete: "off", spellcheck: "false",
    });
    const form = el("form", { onsubmit: (e) => { e.preventDefault(); this.correct(f.name, input.value, message); } },
      el("label", { htmlFor: inputId, className: "visually-hidden" }, `Correct ${label}`),
      input,
      el("button", { type: "submit", className: "small" }, "Save"),
    );
    input.addEventListener("focus", () => this.highlight(f.name, false));
    return el("li", { className: `${f.low ? "low" : ""} ${this.active === f.name ? "active" : ""}`, "data-field": f.name },
      head,
      el("p", { className: "machine" }, `Read: ${machine}`),
      f.corrected !== undefined ? el("p", { className: "corrected" }, `Corrected: ${f.corrected}`) : null,
      ...f.checks.map((c) => el("p", { className: "check-fail" }, `Check failed: ${c.name}${c.detail ? ` (${c.detail})` : ""}`)),
      form,
      message,
    );
  }

  drawBoxes(fields) {
    const boxes = fields.filter((f) => f.box && f.box.page === this.page).map((f) => {
      const box = el("div", { className: `box ${f.low ? "low" : ""} ${this.active === f.name ? "active" : ""}`, "data-field": f.name });
      box.style.left = `${f.box.x0 * 100}%`;
      box.style.top = `${f.box.y0 * 100}%`;
      box.style.width = `${(f.box.x1 - f.box.x0) * 100}%`;
      box.style.height = `${(f.box.y1 - f.box.y0) * 100}%`;
      return box;
    });
    this.boxes.replaceChildren(...boxes);
  }

  async highlight(name, rerender = true) {
    this.active = name;
    const f = this.sortedFields().find((x) => x.name === name);
    if (f && f.box && f.box.page !== this.page) {
      this.page = f.box.page;
      await this.loadPage();
    }
    if (rerender) {
      this.render();
      this.list.querySelector(`li[data-field="${name}"] .field-name`)?.focus();
    } else {
      this.drawBoxes(this.sortedFields());
      for (const li of this.list.children) li.classList.toggle("active", li.dataset.field === name);
    }
  }

  async correct(name, raw, message) {
    message.textContent = "";
    const value = raw.trim() === "" ? null : raw.trim();
    try {
      this.item = await this.api.patchItem(this.batchId, this.item.item_id, { [name]: value });
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.detail : String(e);
      this.list.querySelector(`#fix-${name}`)?.focus();
      return;
    }
    this.onItemChanged(this.item);
    this.active = name;
    this.render();
    this.list.querySelector(`#fix-${name}`)?.focus();
  }

  async acceptAll() {
    if (!this.item) return;
    this.error.textContent = "";
    try {
      this.item = await this.api.acceptItem(this.batchId, this.item.item_id);
    } catch (e) {
      this.error.textContent = e instanceof ApiError ? e.detail : String(e);
      return;
    }
    this.onItemChanged(this.item);
    this.render();
    if (this.index < this.reviewable().length - 1) await this.step(1);
  }

  onKey(e) {
    if (!this.open || e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target instanceof HTMLInputElement;
    if (e.key === "Escape") {
      if (typing) e.target.blur();
      else this.close();
      e.preventDefault();
      return;
    }
    if (typing) return;
    const actions = {
      j: () => this.step(1), ArrowRight: () => this.step(1),
      k: () => this.step(-1), ArrowLeft: () => this.step(-1),
      a: () => this.acceptAll(),
      e: () => {
        const first = this.list.querySelector("li.low input") || this.list.querySelector("input");
        first?.focus();
        first?.select();
      },
    };
    if (actions[e.key]) {
      e.preventDefault();
      actions[e.key]();
    }
  }
}
