// The question editor of the admin console: questions with answers, min, max and blank, from <template>s.
import { t } from './i18n.js';
import { labelTranslations, syncQuestion } from './translations.js';

let serial = 0;

/** Give the fields of a cloned template unique ids and point their labels at them. */
function wire(root) {
  serial += 1;
  for (const field of root.querySelectorAll('[data-field]')) field.id = `ed${serial}-${field.dataset.field}`;
  for (const label of root.querySelectorAll('label[data-for]')) label.htmlFor = `ed${serial}-${label.dataset.for}`;
}

function addAnswer(list, text = '') {
  const item = document.getElementById('answer-template').content.firstElementChild.cloneNode(true);
  wire(item);
  item.querySelector('[data-field="answer"]').value = text;
  item.querySelector('[data-slot="candidates"]').hidden = !list.closest('fieldset').querySelector('[data-field="lists"]').checked;
  list.append(item);
  syncQuestion(list.closest('fieldset'));
  renumber(list.closest('#questions'));
  return item;
}

/** Number the questions and answers in their legends and labels after an add or remove. */
function renumber(container) {
  [...container.children].forEach((fieldset, i) => {
    fieldset.querySelector('[data-slot="legend"]').textContent = t('admin.js.question_n', { n: i + 1 });
    fieldset.querySelectorAll('li.answer').forEach((item, j) => {
      item.querySelector('label').textContent = t('admin.js.answer_n', { n: j + 1 });
      item.querySelector('button').setAttribute('aria-label', t('admin.js.remove_answer_n', { n: j + 1 }));
    });
  });
  labelTranslations(container);
}

/** Add a question with two empty answers to the editor `container`. */
export function addQuestion(container) {
  const fieldset = document.getElementById('question-template').content.firstElementChild.cloneNode(true);
  wire(fieldset);
  const list = fieldset.querySelector('[data-slot="answers"]');
  container.append(fieldset);
  addAnswer(list);
  addAnswer(list);
  const lists = fieldset.querySelector('[data-field="lists"]');
  lists.addEventListener('change', () => {
    for (const slot of fieldset.querySelectorAll('[data-slot="candidates"]')) slot.hidden = !lists.checked;
    if (lists.checked) fieldset.querySelector('[data-field="max"]').value = '1'; // one list per voter
  });
  fieldset.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-do]');
    if (!button) return;
    if (button.dataset.do === 'add-answer') addAnswer(list).querySelector('input').focus();
    else if (button.dataset.do === 'remove-answer') button.closest('li').remove();
    else if (button.dataset.do === 'remove-question') fieldset.remove();
    renumber(container);
  });
  renumber(container);
  return fieldset;
}

/** Remove every question and start again with one. */
export function resetEditor(container) {
  container.replaceChildren();
  addQuestion(container);
}

/**
 * A list question's candidates: per answer (a party list), one line per candidate in list
 * order, `name; gender` with the gender optional.
 */
function readCandidates(fieldset, n) {
  return [...fieldset.querySelectorAll('[data-field="candidates"]')].map((area) => {
    const people = area.value
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const cut = line.lastIndexOf(';');
        const name = (cut < 0 ? line : line.slice(0, cut)).trim();
        const gender = cut < 0 ? '' : line.slice(cut + 1).trim();
        return gender ? { name, gender } : { name };
      });
    if (people.length === 0) throw new Error(t('admin.js.candidates_empty', { n }));
    return people;
  });
}

/** The questions as the API takes them, or throws an Error naming the first problem. */
export function readEditor(container) {
  const questions = [...container.children].map((fieldset, i) => {
    const n = i + 1;
    const value = (name) => fieldset.querySelector(`[data-field="${name}"]`);
    const question = value('text').value.trim();
    const answers = [...fieldset.querySelectorAll('[data-field="answer"]')].map((input) => input.value.trim());
    const min = Number(value('min').value);
    const max = Number(value('max').value);
    if (!question) throw new Error(t('admin.js.question_empty', { n }));
    if (answers.length === 0 || answers.some((a) => !a)) throw new Error(t('admin.js.answer_empty', { n }));
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || min > max || max > answers.length) {
      throw new Error(t('admin.js.bad_limits', { n, count: answers.length }));
    }
    const out = { question, answers, min, max, blank: value('blank').checked };
    if (value('lists').checked) out.candidates = readCandidates(fieldset, n);
    return out;
  });
  if (questions.length === 0) throw new Error(t('admin.js.no_questions'));
  return questions;
}
