// The page's translated messages, from its <script type="application/json" id="messages"> block.

const block = document.getElementById('messages');
const catalog = block ? JSON.parse(block.textContent) : {};

/** Whether the page carries the message `key`. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(catalog, key);
}

/** The message `key` with its {placeholders} filled from `values` (the key itself if missing). */
export function t(key, values = {}) {
  const text = has(key) ? catalog[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole,
  );
}
