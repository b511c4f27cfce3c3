// The Benaloh audit: re-encrypt the revealed choices with the revealed randomness, compare.
import { encrypt } from './ballot.js';
import { parseDecimal } from './encoding.js';
import { keyOf } from './election.js';
import { slots, validatePlaintexts } from './plaintexts.js';
import { parseCanonicalBallot } from './wire.js';

// Each problem has a code and its values (for the booth's translations) and an English text
// (the same words as `hramada voter audit`).
const TEXTS = {
  'not-canonical': () => 'the ballot is not a well-formed canonical Belenios ballot',
  'other-election': () => 'the ballot is for another election',
  'other-fingerprint': () => 'the ballot was made for another version of the election (fingerprint)',
  'choices-invalid': (v) => `the revealed choices are not valid: ${v.detail}`,
  unanswered: () => 'the ballot does not answer every question',
  'ciphertext-count': (v) => `question ${v.question}: the ballot has ${v.found} ciphertexts, not ${v.expected}`,
  'randomness-count': (v) => `question ${v.question}: expected ${v.expected} randomness values`,
  'randomness-range': (v) => `question ${v.question}, choice ${v.choice}: the randomness is not a number in [0, q)`,
  'ciphertext-mismatch': (v) =>
    `question ${v.question}, choice ${v.choice}: the ciphertext is not the encryption of ${v.value} with this randomness`,
};

function problem(code, values = {}) {
  return { code, values, text: TEXTS[code](values) };
}

function auditProblems(election, ballotText, audit) {
  const key = keyOf(election);
  const ballot = parseCanonicalBallot(ballotText);
  if (ballot === null) return [problem('not-canonical')];
  const problems = [];
  if (ballot.election_uuid !== election.uuid) problems.push(problem('other-election'));
  if (ballot.election_hash !== election.fingerprint) problems.push(problem('other-fingerprint'));
  const { choices, randomness } = audit ?? {};
  try {
    validatePlaintexts(election, choices);
  } catch (e) {
    return [...problems, problem('choices-invalid', { detail: e.message })];
  }
  if (ballot.answers.length !== election.questions.length) {
    return [...problems, problem('unanswered')];
  }
  election.questions.forEach((q, i) => {
    const cts = ballot.answers[i].choices;
    const rs = Array.isArray(randomness) ? randomness[i] : null;
    const question = i + 1;
    if (cts.length !== slots(q)) {
      problems.push(problem('ciphertext-count', { question, found: cts.length, expected: slots(q) }));
      return;
    }
    if (!Array.isArray(rs) || rs.length !== cts.length) {
      problems.push(problem('randomness-count', { question, expected: cts.length }));
      return;
    }
    cts.forEach((c, j) => {
      const r = parseDecimal(rs[j]);
      if (r === null || r >= key.group.q) {
        problems.push(problem('randomness-range', { question, choice: j + 1 }));
        return;
      }
      const expected = encrypt(key, choices[i][j], r).wire;
      if (expected.alpha !== c.alpha || expected.beta !== c.beta) {
        problems.push(problem('ciphertext-mismatch', { question, choice: j + 1, value: choices[i][j] }));
      }
    });
  });
  return problems;
}

/**
 * Check a Benaloh audit of a ballot made for `election`: every ciphertext must be the
 * encryption of the revealed choice with the revealed randomness, and the ballot must name
 * this election (uuid and fingerprint). An audited ballot must never be cast. `problems` are
 * English sentences, `codes` the same problems as {code, values} for translation.
 */
export function checkAudit(election, ballotText, audit) {
  const found = auditProblems(election, ballotText, audit);
  return {
    ok: found.length === 0,
    problems: found.map((p) => p.text),
    codes: found.map(({ code, values }) => ({ code, values })),
  };
}
