// The election's texts in more languages, in the admin console: a field per ticked language
// beside the name, the description, every question and every answer of the question editor.
import { h } from './dom.js';
import { t } from './i18n.js';

let languages = []; // [{code, name}] ticked, in the page's order
let serial = 0;

/** A labelled field for `code`'s text of `kind` (name, description, question, answer). */
function field(kind, language, value) {
  serial += 1;
  const id = `tr${serial}`;
  const input = h(kind === 'description' ? 'textarea' : 'input', {
    id,
    lang: language.code,
    'data-tr': kind,
    ...(kind === 'description' ? { rows: 3 } : { type: 'text', required: true }),
  });
  input.value = value;
  const box = h('div', { class: `translation tr-${kind}`, 'data-tr-lang': language.code, 'data-tr-name': language.name });
  box.append(h('label', { for: id }), input);
  return box;
}

/** Replace `parent`'s fields of `kind` by one per ticked language after `anchor`, keeping values. */
function sync(parent, anchor, kind) {
  const old = new Map();
  for (const box of parent.querySelectorAll(`:scope > .tr-${kind}`)) {
    old.set(box.dataset.trLang, box.querySelector('[data-tr]').value);
    box.remove();
  }
  let after = anchor;
  for (const language of languages) {
    const box = field(kind, language, old.get(language.code) ?? '');
    after.after(box);
    after = box;
  }
}

/** The translation fields of one question of the editor (call after adding it or an answer). */
export function syncQuestion(fieldset) {
  sync(fieldset, fieldset.querySelector('[data-field="text"]'), 'question');
  for (const item of fieldset.querySelectorAll('li.answer')) {
    // After the answer's own field and its remove button, which stay on one line.
    sync(item, item.querySelector('[data-do="remove-answer"]') || item.querySelector('[data-field="answer"]'), 'answer');
  }
}

/** Label every translation field with its language (and its answer's number). */
export function labelTranslations(root) {
  const label = (box, key, values = {}) => {
    box.querySelector('label').textContent = t(key, { lang: box.dataset.trName, ...values });
  };
  for (const box of root.querySelectorAll('.tr-name')) label(box, 'admin.js.name_in');
  for (const box of root.querySelectorAll('.tr-description')) label(box, 'admin.js.description_in');
  for (const box of root.querySelectorAll('.tr-question')) label(box, 'admin.js.question_in');
  for (const list of root.querySelectorAll('[data-slot="answers"]')) {
    [...list.children].forEach((item, j) => {
      for (const box of item.querySelectorAll('.tr-answer')) label(box, 'admin.js.answer_in', { n: j + 1 });
    });
  }
}

/**
 * Tick the languages `chosen` ([{code, name}]): a name and description field for each in
 * `head`, and a field beside every question and answer in the editor `container`.
 */
export function setLanguages(container, head, chosen) {
  const old = new Map([...head.querySelectorAll('[data-tr]')].map((input) => [`${input.dataset.tr} ${input.lang}`, input.value]));
  languages = chosen;
  head.replaceChildren(
    ...languages.flatMap((language) =>
      ['name', 'description'].map((kind) => field(kind, language, old.get(`${kind} ${language.code}`) ?? '')),
    ),
  );
  for (const fieldset of container.children) syncQuestion(fieldset);
  labelTranslations(head);
  labelTranslations(container);
}

/**
 * The translations as the API takes them ({code: {name, description, questions: [{question,
 * answers}]}}), undefined when no language is ticked; throws an Error naming the first gap.
 */
export function readTranslations(container, head) {
  if (languages.length === 0) return undefined;
  const out = {};
  for (const { code, name } of languages) {
    const value = (root, kind) => {
      const input = root.querySelector(`:scope > .tr-${kind}[data-tr-lang="${code}"] [data-tr]`);
      return input ? input.value.trim() : '';
    };
    const title = value(head, 'name');
    if (!title) throw new Error(t('admin.js.translation_name_empty', { lang: name }));
    const questions = [...container.children].map((fieldset, i) => {
      const question = value(fieldset, 'question');
      const answers = [...fieldset.querySelectorAll('li.answer')].map((item) => value(item, 'answer'));
      if (!question || answers.some((a) => !a)) {
        throw new Error(t('admin.js.translation_empty', { lang: name, n: i + 1 }));
      }
      return { question, answers };
    });
    out[code] = { name: title, description: value(head, 'description'), questions };
  }
  return out;
}
