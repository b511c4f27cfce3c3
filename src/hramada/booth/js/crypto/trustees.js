// The trustees list (Single keys, Pedersen k-of-n sets): every key and proof checked, as
// election/trustees.py does, giving the election key as the product of the trustees' keys.
import { parseDecimal } from './encoding.js';
import { schnorrVerify } from './proofs.js';

function fail(what, message) {
  throw new Error(`${what}: ${message}`);
}

function isObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function scalar(group, s, what) {
  const x = parseDecimal(s);
  if (x === null || x >= group.q) fail(what, 'a proof value is not a canonical scalar');
  return x;
}

function readProof(group, p, what) {
  if (!isObject(p)) fail(what, 'malformed proof');
  return { challenge: scalar(group, p.challenge, what), response: scalar(group, p.response, what) };
}

function element(group, s, what) {
  try {
    return group.decode(s);
  } catch (e) {
    return fail(what, e.message);
  }
}

function checkSigned(group, key, signed, what) {
  if (!isObject(signed) || typeof signed.message !== 'string') fail(what, 'malformed message');
  const proof = readProof(group, signed.signature, what);
  if (!schnorrVerify(group, key, proof, `sigmsg|${signed.message}|`)) fail(what, 'bad signature');
}

function parseMessage(text, what) {
  try {
    const obj = JSON.parse(text);
    if (isObject(obj)) return obj;
  } catch {
    // reported below
  }
  return fail(what, 'the signed message is not a JSON object');
}

/** A Single trustee's key with its proof of knowledge ("pok|G|X|"); return the key. */
function checkTrusteeKey(group, key, what) {
  if (!isObject(key)) fail(what, 'malformed trustee key');
  const publicKey = element(group, key.public_key, what);
  if (group.eq(publicKey, group.one)) fail(what, 'the identity is no key: its secret is 0');
  const proof = readProof(group, key.pok, what);
  const prefix = `pok|${group.name}|${group.encode(publicKey)}|`;
  if (!schnorrVerify(group, publicKey, proof, prefix)) {
    fail(what, 'the proof of knowledge of the key is invalid');
  }
  return publicKey;
}

/** Verification key of member j (1-based): prod_i prod_k A_ik^(j^k). */
function vkOf(group, rows, j) {
  let acc = group.one;
  for (const row of rows) {
    let jk = 1n;
    for (const a of row) {
      acc = group.mul(acc, group.pow(a, jk));
      jk = (jk * BigInt(j)) % group.q;
    }
  }
  return acc;
}

/** A Pedersen threshold set as Belenios 2.5.1 checks it; return its key prod_i A_i0. */
function checkPedersen(group, t, what) {
  if (!isObject(t) || ![t.certs, t.coefexps, t.verification_keys].every(Array.isArray)) {
    fail(what, 'malformed threshold set');
  }
  const n = t.certs.length;
  const sizesOk =
    Number.isInteger(t.threshold) &&
    t.threshold >= 1 &&
    t.threshold <= n &&
    t.coefexps.length === n &&
    t.verification_keys.length === n;
  if (!sizesOk) fail(what, 'inconsistent sizes or threshold');
  const signatures = t.signatures ?? null;
  if (signatures !== null && (!Array.isArray(signatures) || signatures.length !== n)) {
    fail(what, `expected ${n} signatures`);
  }
  const rows = [];
  t.certs.forEach((cert, i) => {
    const member = `${what}, member ${i + 1}`;
    if (!isObject(cert) || typeof cert.message !== 'string') fail(member, 'malformed certificate');
    const keys = parseMessage(cert.message, member);
    const ctx = keys.context;
    if (ctx != null) {
      const expected = { group: group.name, size: n, threshold: t.threshold, index: i + 1 };
      if (!isObject(ctx) || Object.keys(expected).some((k) => ctx[k] !== expected[k])) {
        fail(member, 'certificate context');
      }
    }
    const vk = element(group, keys.verification, member);
    checkSigned(group, vk, cert, `${member}, certificate`);
    const raw = parseMessage(t.coefexps[i]?.message, member).coefexps;
    checkSigned(group, vk, t.coefexps[i], `${member}, coefexps`);
    if (!Array.isArray(raw) || raw.length !== t.threshold) fail(member, 'coefexps degree');
    rows.push(raw.map((a) => element(group, a, `${member}, coefexps`)));
    if (signatures !== null) {
      const certs = t.certs.map((c) => ({
        message: c.message,
        signature: { challenge: c.signature?.challenge, response: c.signature?.response },
      }));
      const message = `certs_sig|${JSON.stringify({ certs, coefexps: raw })}`;
      checkSigned(group, vk, { message, signature: signatures[i] }, `${member}, signature`);
    }
  });
  t.verification_keys.forEach((key, j) => {
    const vk = checkTrusteeKey(group, key, `${what}, verification key ${j + 1}`);
    if (!group.eq(vk, vkOf(group, rows, j + 1))) {
      fail(what, `verification key ${j + 1} does not match the coefficients`);
    }
  });
  return rows.reduce((acc, row) => group.mul(acc, row[0]), group.one);
}

/** Parse and check a trustees list; return the product of the trustees' keys. */
export function trusteesKey(group, text) {
  let items;
  try {
    items = JSON.parse(text);
  } catch {
    items = null;
  }
  if (!Array.isArray(items) || items.length === 0) fail('trustees', 'not a non-empty JSON list');
  let y = group.one;
  items.forEach((item, i) => {
    const what = `trustee item ${i + 1}`;
    if (!Array.isArray(item) || item.length !== 2) fail(what, 'not a [kind, value] pair');
    const [kind, value] = item;
    if (kind === 'Single') y = group.mul(y, checkTrusteeKey(group, value, what));
    else if (kind === 'Pedersen') y = group.mul(y, checkPedersen(group, value, what));
    else fail(what, `unknown trustee kind ${JSON.stringify(kind)}`);
  });
  return y;
}
