// Small DOM helpers (no innerHTML anywhere: every text from the API is set as text).

/** Create an element: props are properties (className, htmlFor, value, disabled, on*) or attributes
 * (names with a dash, e.g. aria-*, data-*); children are nodes or strings (null is skipped). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key.includes("-")) node.setAttribute(key, value === true ? "" : String(value));
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const LABELS = {
  vendor_name: "Vendor", vendor_address: "Address", vendor_phone: "Phone", receipt_number: "Receipt number",
  date: "Date", time: "Time", currency: "Currency", subtotal: "Subtotal", tax: "Tax", tip: "Tip",
  discount: "Discount", total: "Total", amount_paid: "Amount paid", payment_method: "Payment method",
  category: "Category",
};

export function fieldLabel(name) {
  return LABELS[name] || name;
}

/** A field's machine value as text (money with its currency). */
export function formatValue(name, field) {
  if (!field || field.value === null || field.value === undefined) return "";
  return field.currency ? `${field.value} ${field.currency}` : String(field.value);
}

export function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 60) return `${Math.round(value)} s`;
  const minutes = Math.floor(value / 60);
  return `${minutes} min ${Math.round(value - minutes * 60)} s`;
}

/** Save a Blob as a file download. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
