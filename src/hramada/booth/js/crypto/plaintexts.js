// The voter's choices: one 0/1 list per question, the blank flag first where blank is allowed.
import { boothError } from './errors.js';

/** Ciphertexts in an answer: one per candidate, plus the blank flag. */
export function slots(question) {
  return question.answers.length + (question.blank ? 1 : 0);
}

/** Throw (.code "choices") unless `m` is a valid answer to `question` (check_plaintext). */
function checkAnswer(question, m, index) {
  const what = `question ${index}`;
  if (!Array.isArray(m)) throw boothError('choices', `${what}: expected a list of 0/1 values`);
  if (m.length !== slots(question)) {
    throw boothError('choices', `${what}: expected ${slots(question)} values, got ${m.length}`);
  }
  if (!m.every((x) => x === 0 || x === 1)) {
    throw boothError('choices', `${what}: every value must be 0 or 1`);
  }
  const chosen = (question.blank ? m.slice(1) : m).reduce((a, b) => a + b, 0);
  if (question.blank && m[0] === 1) {
    if (chosen) throw boothError('choices', `${what}: a blank vote selects no answer`);
  } else if (!(question.min <= chosen && chosen <= question.max)) {
    throw boothError(
      'choices',
      `${what}: select between ${question.min} and ${question.max} answers`,
    );
  }
}

/** Throw an Error with .code "choices" and a clear message unless the plaintexts are valid. */
export function validatePlaintexts(election, plaintexts) {
  const { questions } = election;
  if (!Array.isArray(plaintexts) || plaintexts.length !== questions.length) {
    throw boothError('choices', `expected answers to ${questions.length} questions`);
  }
  questions.forEach((q, i) => checkAnswer(q, plaintexts[i], i + 1));
}
