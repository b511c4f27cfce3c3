// "Copy" buttons: <button data-copy="ID"> copies the text of element ID to the clipboard.
import { t } from './i18n.js';

let announcer = null;

function announce(text) {
  if (!announcer) {
    announcer = document.createElement('p');
    announcer.className = 'visually-hidden';
    announcer.setAttribute('aria-live', 'polite');
    document.body.append(announcer);
  }
  announcer.textContent = text;
}

function selectContents(el) {
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** Copy `text`; where the Clipboard API is missing (plain http), copy the selected element. */
async function copyText(text, source) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection
    }
  }
  selectContents(source);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

async function onCopy(button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const ok = await copyText(source.textContent.trim(), source);
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const message = ok ? t('js.copied') : t('js.copy_failed');
  button.textContent = ok ? t('js.copied') : label;
  announce(message);
  if (!ok) selectContents(source);
  window.setTimeout(() => {
    button.textContent = label;
  }, 2000);
}

/** Show and wire every copy button under `root` (they stay hidden without JavaScript). */
export function initCopyButtons(root = document) {
  for (const button of root.querySelectorAll('button[data-copy]')) {
    if (button.dataset.copyReady) continue;
    button.dataset.copyReady = '1';
    button.hidden = false;
    button.addEventListener('click', () => onCopy(button));
  }
}
