// The public pages' script: copy buttons, and the bulletin board's "find my tracking code" box.
import { api } from './ui/api.js';
import { initCopyButtons } from './ui/copy.js';
import { say } from './ui/dom.js';
import { t } from './ui/i18n.js';

/** A tracking code as typed or pasted: without spaces, line breaks or Base64 padding. */
function cleanCode(text) {
  return text.replace(/\s+/g, '').replace(/=+$/, '');
}

function listed(code) {
  for (const item of document.querySelectorAll('#ballots li[data-code]')) {
    if (item.dataset.code === code) return item;
  }
  return null;
}

async function find(form, input, result) {
  const code = cleanCode(input.value);
  for (const old of document.querySelectorAll('#ballots li.found')) {
    old.classList.remove('found');
    old.removeAttribute('aria-current');
  }
  result.className = 'outcome';
  if (!code) {
    say(result, t('board.js.empty'));
    return;
  }
  const item = listed(code);
  let found = Boolean(item);
  let superseded = item ? item.classList.contains('superseded') : false;
  if (!item) {
    say(result, t('board.js.searching'));
    try {
      const url = new URL(form.action, window.location.href);
      url.searchParams.set('code', code);
      const answer = await api('GET', url.pathname + url.search);
      found = Boolean(answer && answer.found);
      superseded = Boolean(answer && answer.superseded);
      const here = new URLSearchParams(window.location.search);
      const page = Number(here.get('page') || 1);
      if (found && answer.page && answer.page !== page) {
        // Listed on another page of the board: open that page, which finds it again.
        window.location.search = new URLSearchParams({ page: answer.page, code }).toString();
        return;
      }
    } catch {
      found = false;
    }
  }
  if (!found) {
    result.classList.add('bad');
    say(result, t('board.js.not_found'));
    return;
  }
  result.classList.add(superseded ? 'warn' : 'ok');
  let message = superseded ? t('board.js.found_superseded') : t('board.js.found');
  if (!item) message += ' ' + t('board.js.reload');
  say(result, message);
  if (item) {
    item.classList.add('found');
    item.setAttribute('aria-current', 'true');
    item.scrollIntoView({ block: 'center' });
  }
}

function initFind(form) {
  const input = document.getElementById('find-code');
  const result = document.getElementById('find-result');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    find(form, input, result);
  });
  const asked = new URLSearchParams(window.location.search).get('code');
  if (asked) {
    input.value = asked;
    find(form, input, result);
  }
}

initCopyButtons(document);
const findForm = document.getElementById('find-form');
if (findForm) initFind(findForm);
