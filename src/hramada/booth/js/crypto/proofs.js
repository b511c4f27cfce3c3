// Fiat-Shamir proofs of Belenios v1: Schnorr proofs and disjunctive proofs of encryptions of 0.
import { mod, sha256Int } from './encoding.js';

/** Belenios v1 hash: SHA-256(prefix || e1,e2,...) as an integer, mod q (encodings given). */
export function hashToScalar(group, prefix, encodings) {
  return sha256Int(prefix + encodings.join(',')) % group.q;
}

/** Prove knowledge of x with g^x under `prefix`; `draw` gives random scalars. */
export function schnorrProve(group, x, prefix, draw) {
  const w = draw();
  const challenge = hashToScalar(group, prefix, [group.encode(group.gPow(w))]);
  return { challenge, response: mod(w - x * challenge, group.q) };
}

export function schnorrVerify(group, publicKey, proof, prefix) {
  const commitment = group.mul(group.gPow(proof.response), group.pow(publicKey, proof.challenge));
  return proof.challenge === hashToScalar(group, prefix, [group.encode(commitment)]);
}

/**
 * The disjunctive proof that one pair (alpha_j, beta_j) encrypts 0, made by a prover who knows
 * every pair's discrete logarithms: pair j is {a, d} with alpha_j = g^a, beta_j = y^a g^d, and
 * pairs[trueIndex] has d = 0. The commitments g^s alpha^c and y^s beta^c of a simulated branch
 * are then g^(s + ac) and y^(s + ac) g^(dc): fixed-base exponentiations only. The proof is the
 * one crypto/proofs.py `or_prove` makes, drawing its random scalars in the same order.
 */
export function orProveKnown(key, pairs, trueIndex, prefix, draw) {
  const { group, yPow } = key;
  const { q } = group;
  const real = pairs[trueIndex];
  if (real.d !== 0n) throw new Error('internal error: the true branch does not encrypt 0');
  const w = draw();
  const proofs = [];
  const commitments = [];
  let simulatedSum = 0n;
  pairs.forEach((pair, j) => {
    if (j === trueIndex) {
      proofs.push(null);
      commitments.push(group.gPow(w), yPow(w));
      return;
    }
    const challenge = draw();
    const response = draw();
    const e = mod(response + pair.a * challenge, q);
    commitments.push(group.gPow(e), group.mul(yPow(e), group.gPow(mod(pair.d * challenge, q))));
    proofs.push({ challenge, response });
    simulatedSum += challenge;
  });
  const total = hashToScalar(group, prefix, commitments.map((c) => group.encode(c)));
  const challenge = mod(total - simulatedSum, q);
  proofs[trueIndex] = { challenge, response: mod(w - real.a * challenge, q) };
  return proofs;
}
