// Bytes, integers and strings as Belenios writes them: UTF-8, big-endian, Base64 SHA-256.
import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = new TextEncoder();
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u; // with the u flag only unpaired halves match

export function utf8Bytes(text) {
  return utf8.encode(text);
}

export function bytesToBigInt(bytes) {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex ? BigInt('0x' + hex) : 0n;
}

/** Standard Base64 without the trailing "=" padding (Belenios's hashes and fingerprints). */
export function base64NoPad(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += B64[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/** The election fingerprint, tracking codes and signed hashes: Base64 SHA-256, no padding. */
export function sha256B64(data) {
  return base64NoPad(sha256(typeof data === 'string' ? utf8Bytes(data) : data));
}

/** SHA-256 of a string's UTF-8 bytes as an integer, big-endian. */
export function sha256Int(text) {
  return bytesToBigInt(sha256(utf8Bytes(text)));
}

/** Parse a canonical non-negative decimal integer string, or return null. */
export function parseDecimal(s) {
  return typeof s === 'string' && DECIMAL.test(s) ? BigInt(s) : null;
}

/** True when a string holds an unpaired UTF-16 surrogate (not representable in UTF-8). */
export function hasLoneSurrogate(s) {
  return LONE_SURROGATE.test(s);
}

/** x mod m in [0, m) for any sign of x. */
export function mod(x, m) {
  const r = x % m;
  return r < 0n ? r + m : r;
}
