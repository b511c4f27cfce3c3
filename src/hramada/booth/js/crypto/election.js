// Loading the election the server sends: parse, check every field the booth relies on.
import { boothError } from './errors.js';
import { hasLoneSurrogate, sha256B64 } from './encoding.js';
import { getGroup } from './groups.js';
import { trusteesKey } from './trustees.js';

const internals = new WeakMap(); // election object -> {group, y, yPow}

function bad(message) {
  throw boothError('election', `invalid election: ${message}`);
}

function isObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function deepFreeze(x) {
  if (typeof x === 'object' && x !== null) {
    Object.values(x).forEach(deepFreeze);
    Object.freeze(x);
  }
  return x;
}

/** The checks of context.py `check_questions`; ranked questions cannot be voted here yet. */
function checkQuestion(q, i) {
  const what = `question ${i}`;
  if (!isObject(q)) bad(`${what} is not an object`);
  if (q.type != null) {
    bad(`${what}: ranked (${String(q.type)}) questions are not supported by this booth yet`);
  }
  const answersOk =
    Array.isArray(q.answers) &&
    q.answers.length > 0 &&
    q.answers.every((a) => typeof a === 'string');
  if (!answersOk || typeof q.question !== 'string') bad(`${what}: missing answers or question`);
  if (!Number.isInteger(q.min) || !Number.isInteger(q.max)) bad(`${what}: missing min or max`);
  if (!(q.min >= 0 && q.min <= q.max && q.max <= q.answers.length)) {
    bad(`${what}: need 0 <= min <= max <= answers`);
  }
  if (q.blank != null && typeof q.blank !== 'boolean') bad(`${what}: blank is not a boolean`);
}

/**
 * Parse the election text exactly as served (its fingerprint is the Base64 SHA-256 of these
 * bytes) and check it: protocol version 1, a known group, the election key in the prime-order
 * subgroup and not the identity, well-formed questions. With the trustees list (the archive's
 * trustees member) every trustee key and proof is checked too, and the election key must be
 * their product. Throws an Error with .code "election" otherwise.
 */
export function loadElection(electionJsonText, trusteesJsonText = null) {
  if (typeof electionJsonText !== 'string' || hasLoneSurrogate(electionJsonText)) {
    bad('not text');
  }
  let e;
  try {
    e = JSON.parse(electionJsonText);
  } catch {
    bad('not JSON');
  }
  if (!isObject(e)) bad('not a JSON object');
  if (e.version !== 1) bad(`unsupported protocol version ${JSON.stringify(e.version)}`);
  for (const field of ['description', 'name', 'group', 'public_key', 'uuid']) {
    if (typeof e[field] !== 'string') bad(`missing ${field}`);
  }
  for (const field of ['administrator', 'credential_authority']) {
    if (e[field] != null && typeof e[field] !== 'string') bad(`${field} is not a string`);
  }
  if (!e.uuid || hasLoneSurrogate(e.uuid)) bad('malformed uuid');
  const group = getGroup(e.group);
  if (group === null) bad(`unknown group ${JSON.stringify(e.group)}`);
  if (!Array.isArray(e.questions) || e.questions.length === 0) bad('no questions');
  e.questions.forEach((q, i) => checkQuestion(q, i + 1));
  let y;
  try {
    y = group.decode(e.public_key);
  } catch (err) {
    bad(`election key: ${err.message}`);
  }
  // Under the identity as key a ciphertext would show the vote in clear.
  if (group.eq(y, group.one)) bad('the election key is the identity');
  if (trusteesJsonText != null) {
    let product;
    try {
      product = trusteesKey(group, trusteesJsonText);
    } catch (err) {
      bad(err.message);
    }
    if (!group.eq(product, y)) bad('the election key is not the product of the trustee keys');
  }
  const election = deepFreeze({
    raw: electionJsonText,
    fingerprint: sha256B64(electionJsonText),
    uuid: e.uuid,
    group: e.group,
    name: e.name,
    description: e.description,
    administrator: e.administrator ?? null,
    credentialAuthority: e.credential_authority ?? null,
    publicKey: e.public_key,
    questions: e.questions,
    trusteesChecked: trusteesJsonText != null,
  });
  let table = null; // the election key's fixed-base table, built on first use
  const yPow = (k) => {
    table ??= group.fixedBase(y);
    return table.pow(k);
  };
  internals.set(election, { group, y, yPow });
  return election;
}

/** The group and key of an election object loadElection made. */
export function keyOf(election) {
  const key = internals.get(election);
  if (!key) throw boothError('election', 'not an election returned by loadElection');
  return key;
}
