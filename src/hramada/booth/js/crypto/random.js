// Uniform random scalars from the browser's CSPRNG (crypto.getRandomValues).
import { bytesToBigInt } from './encoding.js';

const MAX_CHUNK = 65536; // getRandomValues fills at most this many bytes a call

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + MAX_CHUNK)));
  }
  return out;
}

/**
 * A uniformly random scalar in [1, q), as the Python `Group.random_scalar` draws it: 256 bits
 * more than q has are reduced mod q - 1, so the bias is below 2^-256.
 */
export function randomScalar(q) {
  const n = Math.ceil(q.toString(2).length / 8) + 32;
  return 1n + (bytesToBigInt(randomBytes(n)) % (q - 1n));
}
