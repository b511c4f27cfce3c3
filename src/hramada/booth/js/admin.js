// The administrators' console: sign in, create elections and run them over the JSON API.
import { ApiError, api, errorText } from './ui/api.js';
import { initCopyButtons } from './ui/copy.js';
import { $, focusOn, h, say } from './ui/dom.js';
import { detailText } from './ui/detail.js';
import { addQuestion, readEditor, resetEditor } from './ui/editor.js';
import { readTranslations, setLanguages } from './ui/translations.js';
import { has, t } from './ui/i18n.js';
import { fromInput, toInput, utc } from './ui/time.js';

const VIEWS = ['list', 'new', 'election', 'log'];
let current = null; // the election shown in the election view

const enc = encodeURIComponent;

function status(text) {
  say($('admin-status'), text);
}

/** Show an API or form error next to `where` (a form or section), or at the top. */
function fail(error, where = null) {
  if (error instanceof ApiError && error.status === 401) {
    showLogin(t('admin.js.session_ended'));
    return;
  }
  showError(errorText(error), where);
}

function showError(text, where) {
  let line = where ? where.querySelector(':scope > .error') : null;
  if (where && !line) {
    line = h('p', { class: 'error', 'aria-live': 'assertive' });
    where.append(line);
  }
  say(line || $('admin-error'), text);
}

function clearErrors() {
  for (const line of document.querySelectorAll('#main .error')) say(line, '');
  status('');
}

function stateName(state) {
  return has('state.' + state) ? t('state.' + state) : state;
}

function windowText(e) {
  if (!e.opens_at && !e.closes_at) return t('window.unset');
  return t('window.range', { opens: utc(e.opens_at) || t('time.unset'), closes: utc(e.closes_at) || t('time.unset') });
}

/** A log action by its public name where the catalog has one ("window" -> "Voting window changed"). */
function actionName(action) {
  return has('decision.' + action) ? t('decision.' + action) : action;
}

function badge(state) {
  return h('span', { class: `badge state-${state}`, text: stateName(state) });
}

// Signing in and out.

function showLogin(message = '') {
  $('console').hidden = true;
  $('login').hidden = false;
  say($('admin-error'), message);
  $('login-username').focus();
}

async function onLogin(event) {
  event.preventDefault();
  clearErrors();
  try {
    await api('POST', '/api/admin/login', {
      username: $('login-username').value,
      password: $('login-password').value,
    });
    $('login-password').value = '';
    enter(await api('GET', '/api/admin/me'));
  } catch (error) {
    showError(errorText(error), $('login-form'));
  }
}

async function onLogout() {
  try {
    await api('POST', '/api/admin/logout');
  } catch (error) {
    fail(error);
    return;
  }
  showLogin();
}

function enter(me) {
  say($('me'), me.username);
  $('account-panel').hidden = !me.superuser; // only the superuser creates accounts
  $('login').hidden = true;
  $('console').hidden = false;
  route();
}

// Views, chosen by the address's #fragment: #/, #/new, #/election/UUID, #/log.

function show(view) {
  for (const name of VIEWS) $('view-' + name).hidden = name !== view;
  focusOn($('view-' + view).querySelector('h2'));
}

async function route() {
  if ($('console').hidden) return;
  clearErrors();
  status('');
  const hash = window.location.hash;
  if (hash === '#/new') {
    show('new');
  } else if (hash === '#/log') {
    show('log');
    await loadLog();
  } else if (hash.startsWith('#/election/')) {
    current = decodeURIComponent(hash.slice('#/election/'.length));
    $('trustee-link-box').hidden = true;
    show('election');
    await loadElection();
  } else {
    show('list');
    await loadList();
  }
}

// The list of elections.

async function loadList() {
  let elections;
  try {
    elections = await api('GET', '/api/admin/elections');
  } catch (error) {
    fail(error, $('view-list'));
    return;
  }
  $('list-empty').hidden = elections.length > 0;
  $('list-table').hidden = elections.length === 0;
  $('list-body').replaceChildren(
    ...elections.map((e) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: '#/election/' + enc(e.uuid), text: e.name })),
        h('td', {}, badge(e.state)),
        h('td', { text: windowText(e) }),
      ),
    ),
  );
}

// A new election.

async function onCreate(event) {
  event.preventDefault();
  clearErrors();
  say($('new-error'), '');
  const form = $('new-form');
  let body;
  try {
    const name = $('new-name').value.trim();
    if (!name) throw new Error(t('admin.js.name_empty'));
    const opens = fromInput($('new-opens').value);
    const closes = fromInput($('new-closes').value);
    if (opens && closes && closes <= opens) throw new Error(t('admin.js.window_order'));
    body = {
      name,
      description: $('new-description').value.trim(),
      group: $('new-group').value,
      threshold: $('new-threshold').value ? Number($('new-threshold').value) : null,
      questions: readEditor($('questions')),
      translations: readTranslations($('questions'), $('translations')),
      opens_at: opens,
      closes_at: closes,
    };
    const rules = $('new-seat-rules').files[0];
    if (rules) body.seat_rules = await rules.text();
  } catch (error) {
    say($('new-error'), error.message);
    return;
  }
  try {
    const created = await api('POST', '/api/admin/elections', body);
    form.reset();
    onLanguages();
    resetEditor($('questions'));
    window.location.hash = '#/election/' + enc(created.uuid);
  } catch (error) {
    say($('new-error'), errorText(error));
  }
}

/** The languages ticked for the election's texts: a field for each beside every text. */
function onLanguages() {
  const ticked = [...$('new-languages').querySelectorAll('input[data-language]:checked')];
  const chosen = ticked.map((box) => ({ code: box.dataset.language, name: box.dataset.name }));
  setLanguages($('questions'), $('translations'), chosen);
}

// One election.

async function loadElection() {
  let e;
  try {
    e = await api('GET', '/api/admin/elections/' + enc(current));
  } catch (error) {
    fail(error, $('view-election'));
    return;
  }
  say($('election-title'), e.name);
  $('election-state').replaceWith(Object.assign(badge(e.state), { id: 'election-state' }));
  say($('election-uuid'), e.uuid);
  say($('election-group'), e.group);
  say($('election-window'), windowText(e));
  say($('election-eligible'), String(e.eligible));
  say($('election-voters'), String(e.voters));
  say($('election-ballots'), String(e.ballots));
  say($('election-credentials'), e.credentials_fingerprint || t('admin.js.none'));
  say($('election-fingerprint'), e.fingerprint || t('admin.js.none'));
  say($('election-seat-rules'), e.seats ? `sha256:${e.seats.hash}` : t('admin.js.none'));
  $('withdrawal-panel').hidden = !e.seats || e.state === 'draft';
  $('link-public').href = '/elections/' + enc(e.uuid);
  $('link-board').href = '/elections/' + enc(e.uuid) + '/board';
  $('link-result').href = '/elections/' + enc(e.uuid) + '/result';
  say(
    $('cmd-credentials').querySelector('code'),
    `hramada credentials generate --uuid ${e.uuid} --voters voters.txt --group ${e.group} --out credentials/`,
  );
  $('trustees-body').replaceChildren(
    ...e.trustees.map((tr) =>
      h(
        'tr',
        {},
        h('td', { text: tr.name }),
        h('td', { text: keyText(e, tr) }),
        h('td', { text: tr.decrypted ? t('common.yes') : t('common.no') }),
        h('td', {}, reissueButton(tr)),
      ),
    ),
  );
  showCeremony(e);
  showRegistration(e);
  $('window-opens').value = toInput(e.opens_at);
  $('window-closes').value = toInput(e.closes_at);
  const reasonNeeded = e.state !== 'draft';
  $('window-reason').required = reasonNeeded;
  $('window-reason-hint').hidden = !reasonNeeded;
  // Setup forms apply to a draft only: hide them once the election is open.
  for (const id of ['credentials-form', 'trustee-form']) $(id).hidden = e.state !== 'draft';
  $('phase-open').disabled = e.state !== 'draft';
  $('phase-close').disabled = e.state !== 'open';
  $('phase-publish').disabled = e.state !== 'tallied';
  $('decisions').replaceChildren(
    ...(e.decisions.length ? e.decisions : [null]).map((d) =>
      d
        ? h('li', {}, `${utc(d.time)}: `, h('strong', { text: actionName(d.action) }), d.detail ? ` — ${detailText(d.detail)}` : '')
        : h('li', { text: t('admin.js.no_decisions') }),
    ),
  );
  await loadLog(e.uuid);
}

/** The credential authority's private file maps voters to credentials (a JSON object);
 * the public list is an array. */
function isPrivateCredentials(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** A trustee's key column: done or not, or for a threshold ceremony its steps (of three). */
function keyText(e, trustee) {
  if (trustee.key_submitted) return t('common.yes');
  if (e.threshold) return t('admin.js.ceremony_steps', { done: trustee.ceremony_steps || 0 });
  return t('common.no');
}

function showCeremony(e) {
  $('ceremony-box').hidden = !e.threshold;
  if (!e.threshold) return;
  const done = e.trustees.filter((tr) => tr.key_submitted).length;
  say($('ceremony-text'), t('admin.js.ceremony', { k: e.threshold, n: e.trustees.length, done }));
  $('ceremony-restart').hidden = e.state !== 'draft';
}

async function onRestartCeremony() {
  if (!window.confirm(t('admin.js.confirm_restart'))) return;
  clearErrors();
  try {
    await api('POST', `/api/admin/elections/${enc(current)}/ceremony/restart`);
    await loadElection();
  } catch (error) {
    fail(error, $('ceremony-box'));
  }
}

/** The registration phase: a registry key instead of an uploaded list, then open, then close. */
function showRegistration(e) {
  const draft = e.state === 'draft';
  const states = { open: t('admin.js.registration_open'), closed: t('admin.js.registration_closed') };
  say($('registration-state'), states[e.registration] || t('admin.js.registration_none'));
  say($('registration-binding'), e.registry || t('admin.js.none'));
  $('registry-form').hidden = !draft || Boolean(e.registration) || Boolean(e.credentials_fingerprint && !e.registry);
  $('registration-open').disabled = !draft || !e.registry || Boolean(e.registration);
  $('registration-close').disabled = !draft || e.registration !== 'open';
}

async function onRegistry(event) {
  event.preventDefault();
  clearErrors();
  const file = $('registry-file').files[0];
  if (!file) {
    fail(new Error(t('admin.js.choose_file')), $('registry-form'));
    return;
  }
  try {
    const answer = await api('PUT', `/api/admin/elections/${enc(current)}/registry`, await file.text(), { raw: true });
    say($('registration-outcome'), answer.binding);
    $('registry-form').reset();
    await loadElection();
  } catch (error) {
    fail(error, $('registry-form'));
  }
}

async function onRegistration(action) {
  if (action === 'close' && !window.confirm(t('admin.js.confirm_registration_close'))) return;
  clearErrors();
  try {
    const answer = await api('POST', `/api/admin/elections/${enc(current)}/registration/${action}`);
    if (action === 'close') say($('registration-outcome'), t('admin.js.registration_done', answer));
    else say($('registration-outcome'), '');
    await loadElection();
  } catch (error) {
    fail(error, $('registration-panel'));
  }
}

async function onCredentials(event) {
  event.preventDefault();
  clearErrors();
  const file = $('credentials-file').files[0];
  if (!file) {
    fail(new Error(t('admin.js.choose_file')), $('credentials-form'));
    return;
  }
  try {
    const text = await file.text();
    if (isPrivateCredentials(text)) {
      // Refused here, before anything is sent: the server must never see these.
      fail(new Error(t('check.private credentials')), $('credentials-form'));
      $('credentials-form').reset();
      return;
    }
    const answer = await api('PUT', `/api/admin/elections/${enc(current)}/credentials`, text, { raw: true });
    say($('credentials-outcome'), t('admin.js.credentials_done', { count: answer.count, fingerprint: answer.fingerprint }));
    $('credentials-form').reset();
    await loadElection();
  } catch (error) {
    fail(error, $('credentials-form'));
  }
}

function showLink(name, link) {
  say($('trustee-link-for'), t('admin.js.link_for', { name }));
  say($('trustee-link').querySelector('code'), new URL(link, window.location.href).href);
  $('trustee-link-box').hidden = false;
}

/** A button that revokes a trustee's link and shows the new one (a lost link is not fatal). */
function reissueButton(trustee) {
  const button = h('button', { type: 'button', class: 'reissue', text: t('admin.js.reissue') });
  button.addEventListener('click', async () => {
    if (!window.confirm(t('admin.js.confirm_reissue', { name: trustee.name }))) return;
    clearErrors();
    try {
      const answer = await api('POST', `/api/admin/elections/${enc(current)}/trustees/${trustee.id}/link`);
      await loadElection();
      showLink(trustee.name, answer.link);
      focusOn($('trustee-link-box'));
    } catch (error) {
      fail(error, $('trustees-body').closest('section'));
    }
  });
  return button;
}

async function onGrant(event) {
  event.preventDefault();
  clearErrors();
  const username = $('grant-username').value.trim();
  try {
    await api('POST', `/api/admin/elections/${enc(current)}/grants`, { username });
    $('grant-form').reset();
    say($('grant-outcome'), t('admin.js.granted', { username }));
    await loadLog(current);
  } catch (error) {
    fail(error, $('grant-form'));
  }
}

async function onAccount(event) {
  event.preventDefault();
  clearErrors();
  const username = $('account-username').value.trim();
  const password = $('account-password').value;
  try {
    await api('POST', '/api/admin/accounts', { username, password });
    $('account-form').reset();
    say($('account-outcome'), t('admin.js.account_done', { username }));
  } catch (error) {
    fail(error, $('account-form'));
  }
}

/** A candidate's withdrawal from a party list: a public decision the seats then follow. */
async function onWithdrawal(event) {
  event.preventDefault();
  clearErrors();
  const body = {
    list: $('withdrawal-list').value.trim(),
    candidate: $('withdrawal-candidate').value.trim(),
    reason: $('withdrawal-reason').value.trim(),
  };
  try {
    await api('POST', `/api/admin/elections/${enc(current)}/withdrawals`, body);
    say($('withdrawal-outcome'), t('admin.js.withdrawal_done', { candidate: body.candidate, list: body.list }));
    $('withdrawal-form').reset();
    await loadElection();
  } catch (error) {
    fail(error, $('withdrawal-form'));
  }
}

async function onTrustee(event) {
  event.preventDefault();
  clearErrors();
  const name = $('trustee-name').value.trim();
  if (!name) {
    fail(new Error(t('admin.js.trustee_empty')), $('trustee-form'));
    return;
  }
  try {
    const answer = await api('POST', `/api/admin/elections/${enc(current)}/trustees`, { name });
    $('trustee-form').reset();
    showLink(name, answer.link);
    await loadElection();
    focusOn($('trustee-link-box'));
  } catch (error) {
    fail(error, $('trustee-form'));
  }
}

async function onWindow(event) {
  event.preventDefault();
  clearErrors();
  const form = $('window-form');
  const opens = fromInput($('window-opens').value);
  const closes = fromInput($('window-closes').value);
  const reason = $('window-reason').value.trim();
  if (!opens || !closes) return fail(new Error(t('admin.js.window_missing')), form);
  if (closes <= opens) return fail(new Error(t('admin.js.window_order')), form);
  if ($('window-reason').required && !reason) return fail(new Error(t('admin.js.reason_missing')), form);
  try {
    await api('PUT', `/api/admin/elections/${enc(current)}/window`, { opens_at: opens, closes_at: closes, reason });
    $('window-reason').value = '';
    status(t('admin.js.saved'));
    await loadElection();
  } catch (error) {
    fail(error, form);
  }
}

async function onPhase(event) {
  const button = event.currentTarget; // gone from the event once it has been handled
  const action = button.dataset.action;
  if (!window.confirm(t('admin.js.confirm_' + action))) return;
  clearErrors();
  button.disabled = true;
  try {
    await api('POST', `/api/admin/elections/${enc(current)}/${action}`);
    status(t('admin.js.done_' + action));
  } catch (error) {
    fail(error, button.closest('section'));
  }
  await loadElection();
}

// The tamper-evident admin log: every entry with its hash, and the head of the chain.

async function loadLog(election = null) {
  let log;
  try {
    log = await api('GET', '/api/admin/log');
  } catch (error) {
    fail(error, election ? $('view-election') : $('view-log'));
    return;
  }
  const entries = election ? log.entries.filter((e) => e.election === election) : log.entries;
  const body = election ? $('election-log') : $('log-body');
  // Each cell carries its column's name, shown before it where the table is stacked (phones).
  const labels = [...body.closest('table').querySelectorAll('thead th')].map((th) => th.textContent);
  const rows = entries.map((e) => {
    const cells = [
      h('td', { text: String(e.seq) }),
      election ? null : h('td', {}, e.election ? h('a', { href: '#/election/' + enc(e.election), text: e.election.slice(0, 8) }) : '—'),
      h('td', { class: 'when', text: utc(e.time) }),
      h('td', { text: e.admin || '—' }),
      h('td', { text: actionName(e.action) }),
      h('td', {}, detailText(e.detail), h('br'), h('span', { class: 'hint', text: t('admin.js.hash') + ' ' }), h('code', { class: 'hash', text: e.hash })),
    ].filter(Boolean);
    cells.forEach((cell, i) => cell.setAttribute('data-label', labels[i] || ''));
    return h('tr', {}, cells);
  });
  body.replaceChildren(...rows);
  if (!election) say($('log-head'), log.head || t('admin.js.none'));
}

async function start() {
  initCopyButtons(document);
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('new-form').addEventListener('submit', onCreate);
  $('add-question').addEventListener('click', () => addQuestion($('questions')).querySelector('input').focus());
  $('new-name').addEventListener('input', () => {
    if ($('new-name').value.trim()) say($('new-error'), '');
  });
  $('credentials-form').addEventListener('submit', onCredentials);
  $('credentials-file').addEventListener('change', async () => {
    const file = $('credentials-file').files[0];
    if (file && isPrivateCredentials(await file.text())) {
      fail(new Error(t('check.private credentials')), $('credentials-form'));
      $('credentials-form').reset();
    }
  });
  $('registry-form').addEventListener('submit', onRegistry);
  $('registration-open').addEventListener('click', () => onRegistration('open'));
  $('registration-close').addEventListener('click', () => onRegistration('close'));
  $('trustee-form').addEventListener('submit', onTrustee);
  $('grant-form').addEventListener('submit', onGrant);
  $('ceremony-restart').addEventListener('click', onRestartCeremony);
  $('account-form').addEventListener('submit', onAccount);
  $('window-form').addEventListener('submit', onWindow);
  $('withdrawal-form').addEventListener('submit', onWithdrawal);
  for (const id of ['phase-open', 'phase-close', 'phase-publish']) $(id).addEventListener('click', onPhase);
  window.addEventListener('hashchange', route);
  resetEditor($('questions'));
  $('new-languages').addEventListener('change', (event) => {
    if (event.target.matches('input[data-language]')) onLanguages();
  });
  try {
    enter(await api('GET', '/api/admin/me'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showLogin();
    else fail(error);
  }
}

start();
