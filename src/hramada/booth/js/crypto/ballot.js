// Ballot creation: encryption of the choices, proofs and signature, byte for byte the canonical
// Belenios v1 ballot election/ballot.py `create_ballot` makes.
import { deriveSecret } from './credentials.js';
import { mod, sha256B64 } from './encoding.js';
import { keyOf } from './election.js';
import { validatePlaintexts } from './plaintexts.js';
import { pacer } from './pacing.js';
import { orProveKnown, schnorrProve } from './proofs.js';
import { randomScalar } from './random.js';
import { encodeBallot } from './wire.js';

/** (g^r, y^r g^m) with both encodings. */
export function encrypt(key, m, r) {
  const { group, yPow } = key;
  const alpha = group.gPow(r);
  const beta = m ? group.mul(yPow(r), group.g) : yPow(r);
  return { alpha, beta, wire: { alpha: group.encode(alpha), beta: group.encode(beta) } };
}

function product(group, cts) {
  return cts.reduce(
    (acc, c) => ({ alpha: group.mul(acc.alpha, c.alpha), beta: group.mul(acc.beta, c.beta) }),
    { alpha: group.one, beta: group.one },
  );
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0n);

/** For each shift, the pair (g^a, y^a g^m / g^shift) as {a, d = m - shift}: "m = shift". */
function shifted(a, m, shifts) {
  return shifts.map((shift) => ({ a, d: BigInt(m - shift) }));
}

function range(lo, hi) {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

async function createAnswer(key, q, m, zkp, draw, step) {
  const { group } = key;
  const rs = m.map(() => draw());
  const cts = [];
  const individual = [];
  for (let i = 0; i < m.length; i++) {
    const c = encrypt(key, m[i], rs[i]);
    const prefix = `prove|${zkp}|${c.wire.alpha},${c.wire.beta}|`;
    individual.push(orProveKnown(key, shifted(rs[i], m[i], [0, 1]), m[i], prefix, draw));
    cts.push(c);
    await step();
  }
  const s = `${zkp}|${cts.map((c) => `${c.wire.alpha},${c.wire.beta}`).join(',')}`;
  const counts = range(q.min, q.max);
  const answer = { choices: cts.map((c) => c.wire), individual_proofs: individual };
  if (q.blank) {
    const [m0, r0] = [m[0], rs[0]];
    const mTotal = m.slice(1).reduce((a, b) => a + b, 0);
    const rTotal = mod(sum(rs.slice(1)), group.q);
    const blankPairs = [...shifted(r0, m0, [0]), ...shifted(rTotal, mTotal, [0])];
    answer.blank_proof = orProveKnown(key, blankPairs, m0, `bproof0|${s}|`, draw);
    await step();
    const pairs = [...shifted(r0, m0, [1]), ...shifted(rTotal, mTotal, counts)];
    const trueIndex = m0 ? 0 : mTotal - q.min + 1;
    answer.overall_proof = orProveKnown(key, pairs, trueIndex, `bproof1|${s}|`, draw);
  } else {
    const total = product(group, cts);
    const mTotal = m.reduce((a, b) => a + b, 0);
    const rTotal = mod(sum(rs), group.q);
    const prefix = `prove|${s}|${group.encode(total.alpha)},${group.encode(total.beta)}|`;
    const pairs = shifted(rTotal, mTotal, counts);
    answer.overall_proof = orProveKnown(key, pairs, mTotal - q.min, prefix, draw);
  }
  await step();
  return { answer, randomness: rs.map(String) };
}

/**
 * Encrypt, prove and sign the voter's choices. `draw` (tests only) replaces the random scalar
 * source; it is called in the order crypto/proofs.py and election/ballot.py draw theirs.
 */
export async function createBallot(election, credential, plaintexts, options = {}) {
  const { onProgress = null, draw: drawOption = null } = options;
  validatePlaintexts(election, plaintexts);
  const key = keyOf(election);
  const { group } = key;
  const draw = drawOption ?? (() => randomScalar(group.q));
  const secret = deriveSecret(credential, election.uuid, group.q);
  const total =
    election.questions.reduce((n, q, i) => n + plaintexts[i].length + (q.blank ? 2 : 1), 0) + 1;
  const step = pacer(total, onProgress);
  const credentialKey = group.encode(group.gPow(secret));
  const zkp = `${election.fingerprint}|${credentialKey}`;
  const answers = [];
  const randomness = [];
  for (let i = 0; i < election.questions.length; i++) {
    const made = await createAnswer(key, election.questions[i], plaintexts[i], zkp, draw, step);
    answers.push(made.answer);
    randomness.push(made.randomness);
  }
  const body = {
    election_uuid: election.uuid,
    election_hash: election.fingerprint,
    credential: credentialKey,
    answers,
  };
  const hash = sha256B64(encodeBallot(body));
  const proof = schnorrProve(group, secret, `sig|${hash}|`, draw);
  const ballot = encodeBallot({ ...body, signature: { hash, proof } });
  await step();
  return {
    ballot,
    trackingCode: sha256B64(ballot),
    audit: { choices: plaintexts.map((m) => [...m]), randomness },
  };
}
