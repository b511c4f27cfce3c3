// The registrar's page: log in, load the record key and the custodians file (read here, kept in
// this page's memory only), then enrol members: the document number is normalized and blinded
// here, k custodians evaluate it, and only the tag, the member key, the registry's challenge and
// the signed record go to the registry.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { api, ApiError } from './ui/api.js';
import { $, h, say } from './ui/dom.js';
import { has, t } from './ui/i18n.js';
import { CustodiansFailed, CustodiansFileError, parseCustodians, tagFor } from './registrar/custodians.js';
import { DocumentError, normalize } from './registrar/document.js';

const RECORD_PREFIX = utf8ToBytes('hramada-enrolment/2\n');
const config = JSON.parse($('registrar-config').textContent);
const state = { session: null, name: null, seed: null, pinned: null };

/**
 * What the registry's record signature covers: this tag now belongs to this member key, in answer
 * to a fresh challenge of the registry's, used once (registry/messages.py record_message).
 */
function record(challenge, tag, memberKey) {
  const message = concatBytes(RECORD_PREFIX, utf8ToBytes(`${challenge}\n${tag}\n${memberKey}`));
  return bytesToHex(ed25519.sign(message, state.seed));
}

function outcome(el, kind, text) {
  el.className = `outcome ${kind}`;
  say(el, text);
}

/** The registry's refusal in the registrar's language, then its own words. */
function refusal(error) {
  if (!(error instanceof ApiError)) return t('registrar.js.failed');
  if (error.status === 0) return t('js.network');
  const known = error.check && has(`registrar.check.${error.check}`);
  const text = known ? t(`registrar.check.${error.check}`) : t('js.http', { status: error.status });
  return error.message ? `${text} (${t('registrar.js.registry_says', { message: error.message })})` : text;
}

function ready() {
  const missing = [];
  if (!state.session) missing.push(t('registrar.js.missing_login'));
  if (!state.seed) missing.push(t('registrar.js.missing_key'));
  if (!state.pinned) missing.push(t('registrar.js.missing_custodians'));
  $('enrol-button').disabled = missing.length > 0;
  say($('enrol-missing'), missing.length ? t('registrar.js.missing', { what: missing.join(', ') }) : '');
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  const out = $('login-outcome');
  try {
    const answer = await api('POST', '/api/registry/login', { name, password });
    $('login-password').value = '';
    if (answer.role !== 'registrar') {
      outcome(out, 'bad', t('registrar.js.not_registrar', { name }));
      return;
    }
    state.session = answer.token;
    state.name = name;
    outcome(out, 'ok', t('registrar.js.logged_in', { name }));
  } catch (error) {
    state.session = null;
    outcome(out, 'bad', refusal(error));
  }
  ready();
});

$('key-file').addEventListener('change', async () => {
  const out = $('key-outcome');
  state.seed = null;
  const file = $('key-file').files[0];
  if (file) {
    const text = (await file.text()).trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) {
      state.seed = hexToBytes(text);
      outcome(out, 'ok', t('registrar.js.key_loaded', { key: bytesToHex(ed25519.getPublicKey(state.seed)) }));
    } else {
      outcome(out, 'bad', t('registrar.js.key_unreadable'));
    }
  }
  ready();
});

$('custodians-file').addEventListener('change', async () => {
  const out = $('custodians-outcome');
  const list = $('custodians-list');
  state.pinned = null;
  list.replaceChildren();
  const file = $('custodians-file').files[0];
  if (file) {
    try {
      const pinned = parseCustodians(await file.text());
      const blocked = pinned.custodians.filter((c) => !config.custodian_origins.includes(c.origin));
      for (const c of pinned.custodians) {
        const note = blocked.includes(c) ? ` — ${t('registrar.js.custodian_blocked')}` : '';
        list.append(h('li', { text: `${t('registrar.js.custodian', { index: c.index, url: c.url })}${note}` }));
      }
      if (pinned.custodians.length - blocked.length < pinned.threshold) {
        outcome(out, 'bad', t('registrar.js.custodians_blocked', { needed: pinned.threshold }));
      } else {
        state.pinned = pinned;
        outcome(out, 'ok', t('registrar.js.custodians_loaded', { count: pinned.custodians.length, needed: pinned.threshold }));
      }
    } catch (error) {
      if (!(error instanceof CustodiansFileError)) throw error;
      const reason = t(`registrar.js.file.${error.code}`, error.values);
      outcome(out, 'bad', t('registrar.js.custodians_unreadable', { reason }));
    }
  }
  ready();
});

/** The member's key as typed or pasted: 64 hex digits, spaces and line breaks allowed. */
function memberKey() {
  const key = $('member-key').value.replace(/\s+/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(key)) return null;
  try {
    ed25519.Point.fromHex(key);
  } catch {
    return null;
  }
  return key;
}

function custodianLines(failures) {
  return failures.map((f) => {
    const where = { index: f.index, url: f.url };
    if (f.kind === 'unreachable') return t('registrar.js.custodian_unreachable', where);
    if (f.kind === 'wrong') return t('registrar.js.custodian_wrong', where);
    return t('registrar.js.custodian_refused', { ...where, status: f.status, message: f.message || '—' });
  });
}

$('enrol-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = $('enrol-outcome');
  const problems = $('custodian-problems');
  problems.replaceChildren();
  const key = memberKey();
  if (!key) {
    $('member-key').setAttribute('aria-invalid', 'true');
    outcome(out, 'bad', t('registrar.js.member_key_invalid'));
    return;
  }
  $('member-key').removeAttribute('aria-invalid');
  let input;
  try {
    input = normalize($('document-number').value);
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    $('document-number').setAttribute('aria-invalid', 'true');
    outcome(out, 'bad', t('registrar.js.document_invalid'));
    return;
  }
  $('document-number').removeAttribute('aria-invalid');
  $('enrol-button').disabled = true;
  outcome(out, 'warn', t('registrar.js.working'));
  try {
    let found;
    try {
      found = await tagFor(state.pinned, input);
    } catch (error) {
      if (!(error instanceof CustodiansFailed)) throw error;
      problems.append(...custodianLines(error.failures).map((text) => h('li', { text })));
      outcome(out, 'bad', t('registrar.js.custodians_failed', { valid: error.valid, needed: error.needed }));
      return;
    }
    problems.append(...custodianLines(found.failures).map((text) => h('li', { text })));
    const tag = bytesToHex(found.tag);
    let answer;
    try {
      const { challenge } = await api('POST', '/api/registry/challenge');
      const body = { tag, member_key: key, challenge, record: record(challenge, tag, key) };
      answer = await api('POST', '/api/registry/members', body, { token: state.session });
    } catch (error) {
      if (error instanceof ApiError && error.check === 'authentication') state.session = null;
      outcome(out, 'bad', refusal(error));
      return;
    }
    $('document-number').value = '';
    $('member-key').value = '';
    const text = answer.replaced ? t('registrar.js.re_enrolled') : t('registrar.js.enrolled');
    const used = t('registrar.js.custodians_used', { used: found.used.join(', ') });
    outcome(out, answer.replaced ? 'warn' : 'ok', `${text} ${used}`);
  } finally {
    ready();
  }
});

ready();
