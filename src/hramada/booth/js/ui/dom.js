// Building and showing DOM nodes without innerHTML: text always goes in as text.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/**
 * A new element: attrs sets attributes ("class" the class name, "text" the text content;
 * null/false are skipped, true is an empty attribute); children are nodes or strings.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Put `text` in an element (empty text hides it when it is an error or status line). */
export function say(el, text) {
  el.textContent = text || '';
}

/** Move keyboard and screen-reader focus to a heading or region. */
export function focusOn(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: false });
}
