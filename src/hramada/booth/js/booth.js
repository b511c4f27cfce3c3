// The voting booth: credential, choices, review, then cast the encrypted ballot or audit it.
import { checkAudit, listedKeys, loadElection, normalizeCredential, publicCredential, validatePlaintexts } from './crypto/index.js';
import { ApiError, api, checkText } from './ui/api.js';
import { initCopyButtons } from './ui/copy.js';
import { $, focusOn, h, say } from './ui/dom.js';
import { t } from './ui/i18n.js';
import { keepConsistent, mismatch, plaintexts, problem, readQuestions } from './ui/questions.js';

const booth = $('booth');
const STEPS = ['credential', 'choices', 'review', 'done', 'audit'];
const MARKERS = { credential: 'credential', choices: 'choices', review: 'review', done: 'review', audit: 'review' };

/**
 * A credential the member page handed over in the address's fragment (#credential=...): taken
 * at once and removed from the address bar and the history, whether or not the vote is open.
 */
function takeHandedCredential() {
  const given = new URLSearchParams(window.location.hash.slice(1)).get('credential');
  if (given === null) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return given;
}

const handed = takeHandedCredential();

// What the booth holds while the voter votes; nothing of it is stored anywhere.
const state = { electionText: '', trusteesText: '', election: null, listing: null, listed: null, credential: null, plaintexts: null, busy: false, auditUrl: null };

function showStep(name, focus = true) {
  for (const step of STEPS) $('step-' + step).hidden = step !== name;
  for (const marker of booth.querySelectorAll('[data-step-marker]')) {
    if (marker.dataset.stepMarker === MARKERS[name]) marker.setAttribute('aria-current', 'step');
    else marker.removeAttribute('aria-current');
  }
  if (focus) focusOn($('step-' + name).querySelector('h2'));
}

/**
 * The booth's message, in the page's language only, for an Error thrown by the crypto module or
 * sent by the worker (its English .message goes to the console, for whoever helps the voter).
 */
function cryptoMessage(error) {
  const known = {
    'credential-format': 'vote.js.credential_format',
    'credential-checksum': 'vote.js.credential_checksum',
    choices: 'vote.js.choices_invalid',
    election: 'vote.js.election_invalid',
  };
  if (error && error.message) console.warn(error.message);
  if (error && error.code === 'credential-character') return t('vote.js.credential_character', { char: error.character });
  const key = error && known[error.code];
  return key ? t(key) : t('vote.js.encrypt_failed');
}

// Step 1: the credential, checked against the public list before anything is chosen.

function credentialProblem(typed) {
  try {
    state.credential = normalizeCredential(typed);
  } catch (error) {
    return cryptoMessage(error);
  }
  // The list is public; a list that could not be loaded leaves the check to the server.
  if (state.listed && !state.listed.has(publicCredential(state.election, state.credential))) {
    return t('vote.js.credential_unlisted');
  }
  return '';
}

async function onCredential(event) {
  event.preventDefault();
  const input = $('credential');
  if (state.listed === null) state.listed = await state.listing;
  const message = credentialProblem(input.value);
  say($('credential-error'), message);
  if (message) {
    // What the voter typed stays in the field, to be corrected.
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  showStep('choices');
}

// Step 2: the choices.

const questions = booth ? readQuestions($('choices-form')) : [];

function onTick(q, box) {
  keepConsistent(q, box);
  say(q.error, problem(q, false));
  q.fieldset.classList.toggle('invalid', Boolean(q.error.textContent));
  if (questions.every((other) => !other.error.textContent)) say($('choices-error'), '');
}

function onChoices(event) {
  event.preventDefault();
  let first = null;
  for (const q of questions) {
    const message = problem(q, true);
    say(q.error, message);
    q.fieldset.classList.toggle('invalid', Boolean(message));
    if (message && !first) first = q;
  }
  if (first) {
    say($('choices-error'), t('vote.js.fix_choices'));
    (first.answers[0] || first.blank).focus();
    return;
  }
  const chosen = plaintexts(questions);
  try {
    validatePlaintexts(state.election, chosen);
  } catch (error) {
    say($('choices-error'), cryptoMessage(error));
    return;
  }
  say($('choices-error'), '');
  state.plaintexts = chosen;
  fillChoices($('review-list'), chosen);
  say($('review-error'), '');
  showStep('review');
}

/** A readable list of the choices, question by question. */
function fillChoices(container, chosen) {
  container.replaceChildren(
    ...questions.map((q, i) => {
      const bits = q.blankAllowed ? chosen[i].slice(1) : chosen[i];
      const blank = q.blankAllowed && chosen[i][0] === 1;
      const names = q.answers.filter((_, j) => bits[j] === 1).map((box) => box.labels[0].textContent.trim());
      let items;
      if (blank) items = [h('li', { class: 'blank', text: t('vote.js.blank_vote') })];
      else if (names.length === 0) items = [h('li', { class: 'blank', text: t('vote.js.no_answer') })];
      else items = names.map((name) => h('li', { text: name }));
      return h('div', { class: 'review-question' }, h('h3', { text: q.text }), h('ul', {}, items));
    }),
  );
}

// Step 3: encryption in a worker, then cast or audit.

function encrypt() {
  const bar = $('encrypt-progress');
  bar.value = 0;
  $('encrypting').hidden = false;
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(booth.dataset.workerUrl, { type: 'module' });
    } catch (error) {
      reject(error);
      return;
    }
    worker.onmessage = (event) => {
      const message = event.data || {};
      if (message.progress) {
        const [done, total] = message.progress;
        bar.max = total || 1;
        bar.value = done;
        return;
      }
      worker.terminate();
      if (message.result) resolve(message.result);
      else reject(Object.assign(new Error(message.error ? message.error.message : ''), { code: message.error && message.error.code }));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'worker'));
    };
    worker.postMessage({ electionText: state.electionText, trusteesText: state.trusteesText, credential: state.credential, plaintexts: state.plaintexts });
  });
}

function setBusy(busy) {
  state.busy = busy;
  for (const id of ['cast', 'audit', 'back-to-choices']) $(id).disabled = busy;
  if (!busy) $('encrypting').hidden = true;
}

/** Encrypt the choices, busy meanwhile; on failure say why and return null (still busy on success). */
async function sealOrSay() {
  if (state.busy) return null;
  setBusy(true);
  say($('review-error'), '');
  try {
    return await encrypt();
  } catch (error) {
    say($('review-error'), cryptoMessage(error));
    setBusy(false);
    return null;
  }
}

async function onCast() {
  const sealed = await sealOrSay();
  if (!sealed) return;
  say($('booth-status'), t('vote.js.sending'));
  try {
    const answer = await api('POST', booth.dataset.ballotsUrl, sealed.ballot, { raw: true });
    const echoed = answer && answer.tracking_code;
    showCast(sealed.trackingCode, Boolean(echoed) && echoed !== sealed.trackingCode);
  } catch (error) {
    refused(error, sealed.trackingCode);
  } finally {
    say($('booth-status'), '');
    setBusy(false);
  }
}

/** The server refused the ballot, or could not be reached: say so, and where to go next. */
function refused(error, trackingCode) {
  if (error instanceof ApiError && error.status === 0) {
    say($('review-error'), t('vote.js.network_unknown', { code: trackingCode }));
  } else if (error instanceof ApiError && ['credential', 'signature'].includes(error.check)) {
    say($('credential-error'), checkText(error));
    showStep('credential');
  } else {
    say($('review-error'), t('vote.js.refused', { message: checkText(error) }));
  }
}

/** The ballot is in: show its tracking code (computed here, from the bytes sent) and forget the rest. */
function showCast(trackingCode, serverDisagrees) {
  state.credential = null;
  state.plaintexts = null;
  $('credential').value = '';
  $('review-list').replaceChildren();
  for (const q of questions) for (const box of [...q.answers, q.blank, q.none]) if (box) box.checked = false;
  say($('tracking-code'), trackingCode);
  say($('done-warning'), serverDisagrees ? t('vote.js.tracking_mismatch') : '');
  const link = new URL(booth.dataset.boardUrl, window.location.href);
  link.searchParams.set('code', trackingCode);
  $('find-link').href = link.pathname + link.search;
  showStep('done');
}

async function onAudit() {
  const sealed = await sealOrSay();
  if (!sealed) return;
  setBusy(false);
  showAudit(sealed);
}

// Step 4: the audited ballot, never cast.

function showAudit({ ballot, trackingCode, audit }) {
  let outcome;
  try {
    outcome = checkAudit(state.election, ballot, audit);
  } catch (error) {
    console.warn(error);
    outcome = { ok: false, codes: [{ code: 'unreadable', values: {} }] };
  }
  const choices = audit && audit.choices ? audit.choices : state.plaintexts;
  const randomness = audit && audit.randomness !== undefined ? audit.randomness : audit;
  fillChoices($('audit-choices'), choices);
  say($('audit-tracking'), trackingCode);
  say($('audit-randomness'), JSON.stringify(randomness, null, 1));
  const line = $('audit-outcome');
  say(line, outcome.ok ? t('vote.js.audit_ok') : t('vote.js.audit_failed'));
  line.classList.toggle('ok', outcome.ok);
  line.classList.toggle('bad', !outcome.ok);
  const problems = (outcome.codes || []).map(({ code, values }) => t(`vote.js.audit_problem.${code}`, values));
  $('audit-problems').replaceChildren(...problems.map((p) => h('li', { text: p })));
  // The audit file of `hramada voter audit`: the ballot as its exact text, choices, randomness.
  const file = JSON.stringify({ ballot, choices, randomness }, null, 1) + '\n';
  if (state.auditUrl) URL.revokeObjectURL(state.auditUrl);
  state.auditUrl = URL.createObjectURL(new Blob([file], { type: 'application/json' }));
  $('audit-download').href = state.auditUrl;
  showStep('audit');
}

function leaveAudit() {
  $('audit-choices').replaceChildren();
  say($('audit-randomness'), '');
  if (state.auditUrl) URL.revokeObjectURL(state.auditUrl);
  state.auditUrl = null;
  showStep('choices');
}

// Start: fetch election.json, check it, then ask for the credential.

async function start() {
  booth.hidden = false;
  initCopyButtons(booth);
  const status = $('booth-status');
  let bytes;
  try {
    const [response, trustees] = await Promise.all(
      [booth.dataset.electionUrl, booth.dataset.trusteesUrl].map((u) => fetch(u, { credentials: 'same-origin' })),
    );
    if (!response.ok || !trustees.ok) throw new Error(String(response.status));
    bytes = new Uint8Array(await response.arrayBuffer());
    state.trusteesText = await trustees.text();
  } catch {
    say(status, t('vote.js.load_failed'));
    return;
  }
  // The public credential list, for step 1; null (no check here) if it cannot be had.
  state.listing = fetch(booth.dataset.credentialsUrl, { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
    .then(listedKeys)
    .catch((error) => {
      console.warn(error.message);
      return false;
    });
  const published = booth.dataset.fingerprint;
  try {
    state.electionText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    // Its fingerprint is the SHA-256 of these bytes; its key must be the trustees' joint key.
    state.election = loadElection(state.electionText, state.trusteesText);
    if (published && state.election.fingerprint !== published) throw new Error(t('vote.js.fingerprint_mismatch'));
    const different = mismatch(state.electionText, questions, booth.dataset.lang);
    if (different) throw new Error(different);
  } catch (error) {
    if (error.code) console.warn(error.message);
    const message = error.code ? t('vote.js.election_broken') : error.message;
    say(status, t('vote.js.election_unusable', { message }));
    return;
  }
  say($('review-fingerprint'), state.election.fingerprint);
  say(status, '');
  for (const q of questions) {
    for (const box of [...q.answers, q.blank, q.none]) if (box) box.addEventListener('change', () => onTick(q, box));
  }
  $('credential-form').addEventListener('submit', onCredential);
  $('choices-form').addEventListener('submit', onChoices);
  $('back-to-credential').addEventListener('click', () => showStep('credential'));
  $('back-to-choices').addEventListener('click', () => showStep('choices'));
  $('cast').addEventListener('click', onCast);
  $('audit').addEventListener('click', onAudit);
  $('audit-back').addEventListener('click', leaveAudit);
  $('vote-again').addEventListener('click', () => showStep('credential'));
  if (handed) $('credential').value = handed;
  showStep('credential', false);
}

if (booth) start();
