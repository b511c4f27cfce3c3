// The member's code: 130 random bits the member writes down, and the member key derived from it
// (the twin of registry/member_code.py).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford's Base32: no I, L, O or U
const RANDOM = 26; // random characters, 5 bits each
const CHECK = 2; // check characters
const GROUP = 4;
const encoder = new TextEncoder();

function check(payload) {
  const digest = sha256(encoder.encode('hramada-member-code/1\n' + payload));
  return ALPHABET[digest[0] % 32] + ALPHABET[digest[1] % 32];
}

function grouped(raw) {
  return raw.match(new RegExp(`.{1,${GROUP}}`, 'g')).join('-');
}

function codeError(kind, message) {
  return Object.assign(new Error(message), { code: `code-${kind}` });
}

/** A fresh code from the browser's CSPRNG, XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. */
export function newCode() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(RANDOM));
  const payload = [...bytes].map((b) => ALPHABET[b % 32]).join(''); // 256 = 8 * 32: unbiased
  return grouped(payload + check(payload));
}

/**
 * The code as written (any case, spaces or dashes, O for 0, I or L for 1) in its grouped
 * spelling. Throws an Error whose .code is "code-format" or "code-checksum".
 */
export function normalizeCode(text) {
  const raw = String(text).toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== RANDOM + CHECK || [...raw].some((c) => !ALPHABET.includes(c))) {
    throw codeError('format', `a code is ${RANDOM + CHECK} letters and digits`);
  }
  if (check(raw.slice(0, RANDOM)) !== raw.slice(RANDOM)) {
    throw codeError('checksum', 'the code is mistyped: its check characters are wrong');
  }
  return grouped(raw);
}

/** The member key of a code: {seed (secret), publicHex, shown (hex in groups of 4)}. */
export function memberKey(code) {
  const payload = normalizeCode(code).replace(/-/g, '').slice(0, RANDOM);
  const seed = sha256(encoder.encode('hramada-member-key/1\n' + payload));
  const publicKey = ed25519.getPublicKey(seed);
  const publicHex = [...publicKey].map((b) => b.toString(16).padStart(2, '0')).join('');
  return { seed, publicHex, shown: grouped(publicHex) };
}

/** The member's Ed25519 signature of `message` (bytes). */
export function signWith(key, message) {
  return ed25519.sign(message, key.seed);
}
