// Canonical ballot JSON, exactly as msgspec writes our structs (protocol/model.py field order).
//
// JSON.stringify writes object keys in insertion order, no whitespace, and escapes strings
// as msgspec does ("\"", "\\", \b \f \n \r \t, other controls as lowercase \u00xx, the rest
// raw UTF-8), so each builder below only has to insert the fields in wire order and leave out
// the optional ones that are absent.

function proof(p) {
  return { challenge: String(p.challenge), response: String(p.response) };
}

function ciphertext(c) {
  return { alpha: c.alpha, beta: c.beta };
}

/** A homomorphic answer: choices, individual_proofs, overall_proof, ?blank_proof. */
export function answerObject(a) {
  const out = {
    choices: a.choices.map(ciphertext),
    individual_proofs: a.individual_proofs.map((ps) => ps.map(proof)),
    overall_proof: a.overall_proof.map(proof),
  };
  if (a.blank_proof != null) out.blank_proof = a.blank_proof.map(proof);
  return out;
}

/** A ballot: election_uuid, election_hash, credential, answers, ?signature. */
export function ballotObject(b) {
  const out = {
    election_uuid: b.election_uuid,
    election_hash: b.election_hash,
    credential: b.credential,
    answers: b.answers.map(answerObject),
  };
  if (b.signature != null) {
    out.signature = { hash: b.signature.hash, proof: proof(b.signature.proof) };
  }
  return out;
}

export function encodeBallot(b) {
  return JSON.stringify(ballotObject(b));
}

/** Parse ballot text; null unless it is a well-formed homomorphic ballot in canonical form. */
export function parseCanonicalBallot(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
    if (encodeBallot(parsed) !== text) return null;
  } catch {
    return null;
  }
  const strings = (xs) => Array.isArray(xs) && xs.every((x) => typeof x === 'string');
  const proofs = (ps) => Array.isArray(ps) && ps.every((p) => strings([p.challenge, p.response]));
  const answerOk = (a) =>
    Array.isArray(a.choices) &&
    a.choices.every((c) => strings([c.alpha, c.beta])) &&
    a.individual_proofs.every(proofs) &&
    proofs(a.overall_proof) &&
    (a.blank_proof === undefined || proofs(a.blank_proof));
  const ok =
    strings([parsed.election_uuid, parsed.election_hash, parsed.credential]) &&
    parsed.answers.every(answerOk);
  return ok ? parsed : null;
}
