// The booth's question forms: reading the ticked boxes as Belenios plaintexts, and checking counts.
import { t } from './i18n.js';

/** One entry per <fieldset class="question">: its boxes and limits. */
export function readQuestions(form) {
  return [...form.querySelectorAll('fieldset.question')].map((fieldset) => ({
    fieldset,
    text: fieldset.querySelector('legend').textContent.trim(),
    min: Number(fieldset.dataset.min),
    max: Number(fieldset.dataset.max),
    blankAllowed: fieldset.dataset.blank === 'true',
    answers: [...fieldset.querySelectorAll('input[data-answer]')],
    blank: fieldset.querySelector('input[data-blank-choice]'),
    none: fieldset.querySelector('input[data-no-choice]'), // "no answer", a radio button
    error: fieldset.querySelector('.error'),
  }));
}

/** The problem with one question's ticks ("" if none); `strict` also reports too few. */
export function problem(q, strict) {
  if (q.blank && q.blank.checked) return '';
  const n = q.answers.filter((box) => box.checked).length;
  if (n > q.max) return t('vote.js.too_many', { max: q.max });
  if (strict && n < q.min) {
    return q.blankAllowed ? t('vote.js.too_few_or_blank', { min: q.min }) : t('vote.js.too_few', { min: q.min });
  }
  return '';
}

/** The plaintexts: per question 0/1 per answer, the blank flag first where blank is allowed. */
export function plaintexts(questions) {
  return questions.map((q) => {
    const blank = Boolean(q.blank && q.blank.checked);
    const bits = q.answers.map((box) => (!blank && box.checked ? 1 : 0));
    return q.blankAllowed ? [blank ? 1 : 0, ...bits] : bits;
  });
}

/** A blank vote clears the answers; an answer clears the blank vote. */
export function keepConsistent(q, changed) {
  if (!changed.checked) return;
  if (changed === q.blank) for (const box of q.answers) box.checked = false;
  else if (q.blank) q.blank.checked = false;
}

/** Whether the candidates shown under each list are those of the election (none for none). */
function sameCandidates(lists, fieldset) {
  const shown = [...fieldset.querySelectorAll('[data-candidates]')];
  if (!Array.isArray(lists)) return shown.length === 0;
  return (
    shown.length === lists.length &&
    lists.every((people, j) => {
      const names = [...shown[j].querySelectorAll('.candidate-name')];
      return (
        Array.isArray(people) &&
        names.length === people.length &&
        people.every((c, k) => c && same(c.name, names[k].textContent))
      );
    })
  );
}

const same = (a, b) => typeof a === 'string' && a.trim() === b.trim();

/**
 * The questions of election.json (plain Belenios homomorphic questions, or {type, value}
 * wrapped ones) compared with the page's forms: a message for the first difference, or "".
 * The texts must be those of the election's translation into `lang` where it has one (else its
 * own): the fingerprint covers every translation, so what the voter reads is what was published.
 */
export function mismatch(electionText, questions, lang) {
  let published;
  let texts;
  try {
    const election = JSON.parse(electionText);
    published = election.questions;
    const translations = election.translations || {};
    texts = Object.prototype.hasOwnProperty.call(translations, lang) ? translations[lang].questions : null;
  } catch {
    return t('vote.js.election_mismatch');
  }
  if (!Array.isArray(published) || published.length !== questions.length) return t('vote.js.election_mismatch');
  for (const [i, raw] of published.entries()) {
    const q = raw && raw.value && !raw.answers ? raw.value : raw;
    const page = questions[i];
    const text = texts ? texts[i] : q;
    if (
      !q ||
      !text ||
      !Array.isArray(q.answers) ||
      !Array.isArray(text.answers) ||
      q.answers.length !== page.answers.length ||
      Number(q.min) !== page.min ||
      Number(q.max) !== page.max ||
      Boolean(q.blank) !== page.blankAllowed ||
      !same(text.question, page.text) ||
      !page.answers.every((box, j) => same(text.answers[j], box.labels[0].textContent))
    ) {
      return t('vote.js.election_mismatch');
    }
    if (!sameCandidates(q.candidates, page.fieldset)) return t('vote.js.election_mismatch');
  }
  return '';
}
