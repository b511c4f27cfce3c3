// Private credentials: format and checksum checks, and the signing key Belenios derives from one.
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { boothError } from './errors.js';
import { bytesToBigInt, utf8Bytes } from './encoding.js';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const TOKEN = 14; // random characters of a checksummed credential, then one check character
const FULL = [5, 6, 5, 6]; // group sizes of the newer 22-character credentials

function b58Value(s) {
  let n = 0n;
  for (const ch of s) n = n * 58n + BigInt(BASE58.indexOf(ch));
  return n;
}

function groups(raw, sizes) {
  const out = [];
  let i = 0;
  for (const n of sizes) {
    out.push(raw.slice(i, i + n));
    i += n;
  }
  return out.join('-');
}

/**
 * A fresh credential XXX-XXX-XXX-XXX-XXX from the browser's CSPRNG, as crypto/credentials.py
 * `generate_credential` makes one: 14 uniformly random Base58 characters and a checksum.
 */
export function generateCredential() {
  let token = '';
  while (token.length < TOKEN) {
    for (const b of globalThis.crypto.getRandomValues(new Uint8Array(TOKEN))) {
      if (b < 232 && token.length < TOKEN) token += BASE58[b % 58]; // 232 = 4 * 58: unbiased
    }
  }
  const check = BASE58[Number(53n - (b58Value(token) % 53n))];
  return groups(token + check, [3, 3, 3, 3, 3]);
}

/**
 * The canonical spelling of a credential the voter typed: XXX-XXX-XXX-XXX-XXX (with or without
 * dashes, checksum verified), or the 22-character XXXXX-XXXXXX-XXXXX-XXXXXX form. Whitespace is
 * ignored. Throws an Error whose .code is "credential-character" (with .character, the first
 * one outside the alphabet), "credential-format" (not the length of a credential) or
 * "credential-checksum".
 */
export function normalizeCredential(text) {
  if (typeof text !== 'string') throw boothError('credential-format', 'the credential is not text');
  const typed = text.replace(/\s+/g, '');
  const bad = [...typed].find((ch) => ch !== '-' && !BASE58.includes(ch));
  if (bad !== undefined) {
    const error = boothError(
      'credential-character',
      `the character ${JSON.stringify(bad)} cannot appear in a credential (mistyped?)`,
    );
    error.character = bad;
    throw error;
  }
  const parts = typed.split('-');
  const raw = parts.join('');
  const lengths = parts.map((p) => p.length).join(',');
  if (lengths === '3,3,3,3,3' || lengths === '15') {
    if ((b58Value(raw.slice(0, TOKEN)) + b58Value(raw[TOKEN])) % 53n !== 0n) {
      throw boothError('credential-checksum', 'the credential is mistyped: its checksum is wrong');
    }
    return groups(raw, [3, 3, 3, 3, 3]);
  }
  if (lengths === FULL.join(',') || lengths === '22') return groups(raw, FULL);
  throw boothError(
    'credential-format',
    'a credential is 15 characters, XXX-XXX-XXX-XXX-XXX (or 22, XXXXX-XXXXXX-XXXXX-XXXXXX)',
  );
}

/**
 * The public keys of a public credential list (Belenios entries "KEY" or "KEY,WEIGHT"), as a
 * Set of their encodings. Throws an Error with .code "credentials" when it is not such a list.
 */
export function listedKeys(listText) {
  let list;
  try {
    list = JSON.parse(listText);
  } catch {
    list = null;
  }
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) {
    throw boothError('credentials', 'the public credential list is not a list of strings');
  }
  return new Set(list.map((entry) => entry.split(',', 1)[0]));
}

/** The credential's signing key for election `uuid`, mod q, as crypto/credentials.py has it. */
export function deriveSecret(credential, uuid, q) {
  const canonical = normalizeCredential(credential);
  if (canonical.length === 19) {
    // Always the dashed spelling: Belenios derives another key from the dash-less one.
    const key = pbkdf2(sha256, utf8Bytes(canonical), utf8Bytes(uuid), { c: 1000, dkLen: 32 });
    return bytesToBigInt(key) % q;
  }
  let hex = '';
  for (const i of [0, 1]) {
    const digest = sha256(utf8Bytes(`derive_credential|${uuid}|${i}|${canonical}`));
    for (const b of digest) hex += b.toString(16).padStart(2, '0');
  }
  return BigInt('0x' + hex) % q;
}
