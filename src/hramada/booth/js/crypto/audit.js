// The Benaloh audit: re-encrypt the revealed choices with the revealed randomness, compare.
import { encrypt } from './ballot.js';
import { parseDecimal } from './encoding.js';
import { keyOf } from './election.js';
import { slots, validatePlaintexts } from './plaintexts.js';
import { parseCanonicalBallot } from './wire.js';

function auditProblems(election, ballotText, audit) {
  const key = keyOf(election);
  const ballot = parseCanonicalBallot(ballotText);
  if (ballot === null) return ['the ballot is not a well-formed canonical Belenios ballot'];
  const problems = [];
  if (ballot.election_uuid !== election.uuid) problems.push('the ballot is for another election');
  if (ballot.election_hash !== election.fingerprint) {
    problems.push('the ballot was made for another version of the election (fingerprint)');
  }
  const { choices, randomness } = audit ?? {};
  try {
    validatePlaintexts(election, choices);
  } catch (e) {
    return [...problems, `the revealed choices are not valid: ${e.message}`];
  }
  if (ballot.answers.length !== election.questions.length) {
    return [...problems, 'the ballot does not answer every question'];
  }
  election.questions.forEach((q, i) => {
    const cts = ballot.answers[i].choices;
    const rs = Array.isArray(randomness) ? randomness[i] : null;
    if (cts.length !== slots(q)) {
      problems.push(`question ${i + 1}: the ballot has ${cts.length} ciphertexts, not ${slots(q)}`);
      return;
    }
    if (!Array.isArray(rs) || rs.length !== cts.length) {
      problems.push(`question ${i + 1}: expected ${cts.length} randomness values`);
      return;
    }
    cts.forEach((c, j) => {
      const what = `question ${i + 1}, choice ${j + 1}`;
      const r = parseDecimal(rs[j]);
      if (r === null || r >= key.group.q) {
        problems.push(`${what}: the randomness is not a number in [0, q)`);
        return;
      }
      const expected = encrypt(key, choices[i][j], r).wire;
      if (expected.alpha !== c.alpha || expected.beta !== c.beta) {
        problems.push(
          `${what}: the ciphertext is not the encryption of ${choices[i][j]} with this randomness`,
        );
      }
    });
  });
  return problems;
}

/**
 * Check a Benaloh audit of a ballot made for `election`: every ciphertext must be the
 * encryption of the revealed choice with the revealed randomness, and the ballot must name
 * this election (uuid and fingerprint). An audited ballot must never be cast.
 */
export function checkAudit(election, ballotText, audit) {
  const problems = auditProblems(election, ballotText, audit);
  return { ok: problems.length === 0, problems };
}
