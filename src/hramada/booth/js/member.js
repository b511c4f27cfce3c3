// The member's page: the member key from a written code, one credential per election (blind-signed
// by the registry, posted to the election server at a random delay), then the booth.
import { memberKey, newCode, normalizeCode } from './member/code.js';
import { finish, finishToken, prepare, prepareToken, requestBody, sameKey } from './member/registration.js';
import { $, focusOn, say } from './ui/dom.js';
import { t } from './ui/i18n.js';

const root = $('member');
const STEPS = ['key', 'code', 'election', 'wait', 'done', 'token'];
// sessionStorage holds only a registration under way (the credential and its signature), so a
// reload during the wait loses nothing; it is removed at the handover to the booth.
const PENDING = 'hramada-member-pending';
const state = { key: null, timer: null, pending: null };

function show(name) {
  for (const step of STEPS) $('step-' + step).hidden = step !== name;
  focusOn($('step-' + name).querySelector('h2'));
}

const fail = (key, values) => say($('member-error'), t(key, values));

/** A refused or failed request: the HTTP status (0: not reached), the check, and which service. */
class Refusal extends Error {
  constructor(status, check, where) {
    super(`${where}: ${status} ${check}`);
    Object.assign(this, { status, check, where });
  }
}

async function call(where, url, body = undefined) {
  const init = { method: body === undefined ? 'GET' : 'POST', credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== null && body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new Refusal(0, 'network', where);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    if (error.message) console.warn(error.message);
    throw new Refusal(response.status, String(error.check || ''), where);
  }
  return data;
}

/** The member's message for a refusal, in the page's language. */
function explain(error) {
  if (!(error instanceof Refusal)) {
    console.warn(error);
    return ['member.js.failed', {}];
  }
  const { status, check, where } = error;
  if (status === 0) return [`member.js.${where}_unreachable`, {}];
  if (where === 'registry') {
    if (status === 401 && check === 'member') return ['member.js.not_enrolled', {}];
    if (status === 409 && check === 'issued') return ['member.js.already', {}];
    if (status === 404) return ['member.js.registry_unknown', {}];
  } else {
    if (status === 404) return ['member.js.server_unknown_election', {}];
    if (status === 409 && check === 'phase') return ['member.js.closed', {}];
    if (status === 400) return ['member.js.rejected', {}];
  }
  if (status === 429) return ['member.js.busy', {}];
  return ['member.js.http', { status }];
}

// Step 1: the member key, from a new code or the one written down.

function useKey(key) {
  state.key = key;
  say($('member-key'), key.shown);
  show('election');
}

function onNewCode() {
  say($('member-error'), '');
  const code = newCode();
  state.key = memberKey(code);
  say($('code-shown'), code);
  show('code');
}

function onCodeWritten() {
  say($('code-shown'), ''); // the code leaves the page once written down; the key stays in memory
  useKey(state.key);
}

function onCode(event) {
  event.preventDefault();
  const input = $('code-input');
  let key;
  try {
    key = memberKey(input.value);
  } catch (error) {
    fail(error.code === 'code-checksum' ? 'member.js.code_checksum' : 'member.js.code_format');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.value = '';
  input.removeAttribute('aria-invalid');
  say($('member-error'), '');
  useKey(key);
}

// Step 2: a credential for the election, blind-signed by this registry.

const servers = JSON.parse(root.dataset.servers);

function randomDelay() {
  const [low, high] = [Number(root.dataset.delayMin), Number(root.dataset.delayMax)];
  const [r] = crypto.getRandomValues(new Uint32Array(1));
  return Math.round(1000 * (low + (high - low) * (r / 2 ** 32)));
}

// An election's (or a tabulation's) UUID, as setup.check_uuid accepts it.
const UUID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]{14,64}$/;

/** The registry's blind signature of a prepared request, asked with the member key. */
async function blindSignature(uuid, request) {
  const { challenge } = await call('registry', '/api/registry/challenge', null);
  const body = requestBody(state.key, uuid, challenge, request);
  const answer = await call('registry', `/api/registry/elections/${encodeURIComponent(uuid)}/signature`, body);
  return answer.blind_signature;
}

function save(pending) {
  state.pending = pending;
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
}

async function obtain(uuid, server) {
  const info = await call('server', `${server}/api/elections/${encodeURIComponent(uuid)}/registration`);
  if (info.registration !== 'open') return fail(info.registration === 'closed' ? 'member.js.closed' : 'member.js.not_open');
  const ours = await call('registry', `/api/registry/elections/${encodeURIComponent(uuid)}`);
  if (!sameKey(info.registry, ours.registry)) return fail('member.js.binding');
  const request = await prepare(uuid, info.group, ours.registry);
  const answer = await blindSignature(uuid, request);
  let registration;
  try {
    registration = await finish(request, answer);
  } catch (error) {
    console.warn(error);
    return fail('member.js.bad_signature');
  }
  save({ uuid, server, credential: request.credential, registration, due: Date.now() + randomDelay(), posted: false });
  wait();
}

async function onElection(event) {
  event.preventDefault();
  say($('member-error'), '');
  const uuid = $('election-uuid').value.trim();
  let server = '';
  try {
    server = new URL($('election-server').value.trim()).origin;
  } catch {
    server = '';
  }
  if (!UUID_PATTERN.test(uuid)) return fail('member.js.uuid');
  if (!servers.includes(server)) return fail('member.js.server_not_allowed', { server: server || '—' });
  const button = $('get-credential');
  button.disabled = true;
  try {
    await obtain(uuid, server);
  } catch (error) {
    fail(...explain(error));
  } finally {
    button.disabled = false;
  }
}

// Or: a one-time token for a parallel vote tabulation, blind-signed by this registry; the
// member pastes it into the tabulation's form, which sends it nowhere else.

async function onToken(event) {
  event.preventDefault();
  say($('member-error'), '');
  const uuid = $('pvt-uuid').value.trim();
  if (!UUID_PATTERN.test(uuid)) return fail('member.js.uuid');
  const button = $('get-token');
  button.disabled = true;
  try {
    const ours = await call('registry', `/api/registry/elections/${encodeURIComponent(uuid)}`);
    const request = await prepareToken(uuid, ours.registry);
    const answer = await blindSignature(uuid, request);
    let token;
    try {
      token = await finishToken(request, answer);
    } catch (error) {
      console.warn(error);
      return fail('member.js.bad_signature');
    }
    say($('token-shown'), token);
    show('token');
  } catch (error) {
    const [key, args] = explain(error);
    fail(key === 'member.js.already' ? 'member.js.already_token' : key, args);
  } finally {
    button.disabled = false;
  }
}

function tokenCopied() {
  say($('token-shown'), '');
  show('election');
}

// Step 3: wait a random while, then post the registration to the election server.

function wait() {
  show('wait');
  $('retry').hidden = true;
  const seconds = () => Math.ceil((state.pending.due - Date.now()) / 1000);
  // Said once to screen readers; the countdown itself is for the eyes.
  say($('member-status'), seconds() > 0 ? t('member.js.countdown', { seconds: seconds() }) : '');
  const tick = () => {
    const left = seconds();
    if (left > 0) {
      say($('countdown').querySelector('code'), `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`);
      return;
    }
    say($('countdown').querySelector('code'), '');
    clearInterval(state.timer);
    state.timer = null;
    post();
  };
  state.timer = setInterval(tick, 1000);
  tick();
}

async function post() {
  const { uuid, server, registration } = state.pending;
  say($('member-status'), t('member.js.sending'));
  say($('member-error'), '');
  try {
    await call('server', `${server}/api/elections/${encodeURIComponent(uuid)}/registrations`, registration);
  } catch (error) {
    const duplicate = error instanceof Refusal && error.status === 409 && error.check === 'duplicate';
    if (!duplicate) {
      // (A duplicate is ours, whose answer was lost: it is registered.) Anything else: say why;
      // retry what may pass later, forget what never will (registration closed, refused).
      say($('member-status'), '');
      fail(...explain(error));
      const later = error instanceof Refusal && (error.status === 0 || error.status === 429 || error.status >= 500);
      $('retry').hidden = !later;
      if (!later) {
        sessionStorage.removeItem(PENDING);
        state.pending = null;
      }
      return;
    }
  }
  save({ ...state.pending, posted: true });
  done();
}

// Step 4: the credential to write down, and the booth.

function done() {
  const { uuid, server, credential } = state.pending;
  say($('credential-shown'), credential);
  // In the fragment, which no browser sends to any server; the booth removes it at once.
  const path = root.dataset.votePath.replace('UUID', encodeURIComponent(uuid));
  $('booth-link').href = `${server}${path}#credential=${encodeURIComponent(credential)}`;
  show('done');
}

function handOver() {
  sessionStorage.removeItem(PENDING);
  state.pending = null;
  say($('credential-shown'), '');
}

// Forget everything this origin keeps on the device, and what the page holds.

async function forgetEverything() {
  clearInterval(state.timer);
  Object.assign(state, { key: null, timer: null, pending: null });
  for (const storage of [sessionStorage, localStorage]) storage.clear();
  if (indexedDB.databases) for (const db of await indexedDB.databases()) indexedDB.deleteDatabase(db.name);
  if (globalThis.caches) for (const name of await caches.keys()) await caches.delete(name);
  window.location.replace(window.location.pathname + window.location.search);
}

function start() {
  root.hidden = false;
  // Switching the language keeps the election given in the fragment.
  for (const link of document.querySelectorAll('.languages a')) link.href = link.getAttribute('href') + window.location.hash;
  $('new-code').addEventListener('click', onNewCode);
  $('code-written').addEventListener('click', onCodeWritten);
  $('code-form').addEventListener('submit', onCode);
  $('election-form').addEventListener('submit', onElection);
  $('pvt-form').addEventListener('submit', onToken);
  $('token-done').addEventListener('click', tokenCopied);
  $('retry').addEventListener('click', post);
  $('booth-link').addEventListener('click', handOver);
  $('forget').addEventListener('click', forgetEverything);
  const given = new URLSearchParams(window.location.hash.slice(1));
  $('election-uuid').value = given.get('election') || '';
  $('election-server').value = given.get('server') || (servers.length === 1 ? servers[0] : '');
  const saved = sessionStorage.getItem(PENDING);
  if (saved) {
    state.pending = JSON.parse(saved);
    if (state.pending.posted) done();
    else wait();
  } else {
    show('key');
  }
}

if (root) start();
