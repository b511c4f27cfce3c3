// Self-test of the booth's arithmetic against plain BigInt definitions; exits 1 on a mismatch.
import { base64NoPad, mod } from '../../src/hramada/booth/js/crypto/encoding.js';
import { getGroup } from '../../src/hramada/booth/js/crypto/groups.js';
import { FixedBaseTable, jacobi, modPow } from '../../src/hramada/booth/js/crypto/modpow.js';
import { randomScalar } from '../../src/hramada/booth/js/crypto/random.js';

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures += 1;
    console.error(`FAILED ${what}`);
  }
}

/** Right-to-left binary exponentiation: slow and obviously right. */
function naivePow(b, e, m) {
  let acc = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) acc = (acc * b) % m;
  return acc;
}

let seed = 0x2545f4914f6cdd1dn; // xorshift64*: reproducible pseudo-random BigInts
function rand(bits) {
  let out = 0n;
  for (let got = 0; got < bits; got += 64) {
    seed ^= seed >> 12n;
    seed ^= (seed << 25n) & 0xffffffffffffffffn;
    seed ^= seed >> 27n;
    out = (out << 64n) | ((seed * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn);
  }
  return out & ((1n << BigInt(bits)) - 1n);
}

const belenios = getGroup('BELENIOS-2048');
const rfc = getGroup('RFC-3526-2048');
for (const group of [belenios, rfc]) {
  const { p, q } = group;
  for (const bits of [0, 1, 2, 5, 17, 64, 255, 256, 1000, 2047]) {
    const base = rand(2048) % p;
    const e = rand(bits);
    check(modPow(base, e, p) === naivePow(base, e, p), `modPow ${group.name} ${bits} bits`);
  }
  for (const e of [0n, 1n, 2n, 31n, 32n, 33n, q - 1n, q, rand(300)]) {
    check(modPow(group.g, e, p) === naivePow(group.g, e, p), `modPow edge ${e}`);
  }
  const table = new FixedBaseTable(group.g, p);
  for (const e of [0n, 1n, 31n, 32n, 1023n, 1024n, q - 1n, rand(q.toString(2).length) % q]) {
    check(table.pow(e) === naivePow(group.g, e, p), `fixed-base table ${group.name} ${e}`);
  }
  check(group.gPow(q) === 1n && group.gPow(-1n) === modPow(group.g, q - 1n, p), 'gPow mod q');
  check(modPow(group.g, q, p) === 1n, `g has order q in ${group.name}`);
}
// Jacobi symbols against Euler's criterion mod the safe prime, and small known values.
for (let i = 0; i < 8; i++) {
  const a = rand(2048) % rfc.p;
  const euler = modPow(a, (rfc.p - 1n) / 2n, rfc.p); // modPow is checked above
  check(jacobi(a, rfc.p) === (euler === 1n ? 1 : -1), `jacobi ${i}`);
}
check(jacobi(0n, 7n) === 0 && jacobi(2n, 7n) === 1 && jacobi(3n, 7n) === -1, 'jacobi small');
check(jacobi(2n, 15n) === 1 && jacobi(7n, 15n) === -1 && jacobi(5n, 15n) === 0, 'jacobi 15');
// Base64 without padding against node's Buffer.
for (let n = 0; n < 40; n++) {
  const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
  const expected = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
  check(base64NoPad(bytes) === expected, `base64 length ${n}`);
}
check(mod(-1n, 7n) === 6n && mod(14n, 7n) === 0n, 'mod');
for (const group of [belenios, rfc, getGroup('Ed25519')]) {
  for (let i = 0; i < 50; i++) {
    const r = randomScalar(group.q);
    check(r >= 1n && r < group.q, `random scalar in [1, q) for ${group.name}`);
  }
}
if (failures) process.exit(1);
console.log('arithmetic ok');
