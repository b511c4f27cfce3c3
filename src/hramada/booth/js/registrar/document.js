// The document number as the OPRF input: the twin of hramada.registry.enrol.normalize (Python),
// so that the page and the command line give the same document the same tag.

export const DOCUMENT_PREFIX = new TextEncoder().encode('hramada-document/1\n');
export const MAX_LENGTH = 64;

// Cyrillic capitals that passports print where Latin ones are meant (MP, AB, ...):
// A, Ve, Ie, Ka, Em, En, O, Er, Es, Te, Ha, Belarusian I.
const LOOKALIKES = new Map(
  [...'\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406'].map((c, i) => [c, 'ABEKMHOPCTXI'[i]]),
);
const SEPARATORS = new Set([' ', '\t', '-', '.', '/', '\u00a0']);
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/** A document number that cannot be one (empty, too long, or not only letters and digits). */
export class DocumentError extends Error {}

/**
 * The OPRF input for a document number: NFKC, capitals, Cyrillic look-alikes as Latin, no spaces
 * or separators; 1 to 64 letters and digits, else DocumentError. Bytes: the prefix, then UTF-8.
 */
export function normalize(document) {
  const kept = [];
  for (const c of document.normalize('NFKC').toUpperCase()) {
    if (!SEPARATORS.has(c)) kept.push(LOOKALIKES.get(c) ?? c);
  }
  if (!kept.length || kept.length > MAX_LENGTH || !kept.every((c) => LETTER_OR_DIGIT.test(c))) {
    throw new DocumentError('a document number is 1 to 64 letters and digits');
  }
  const text = new TextEncoder().encode(kept.join(''));
  const out = new Uint8Array(DOCUMENT_PREFIX.length + text.length);
  out.set(DOCUMENT_PREFIX);
  out.set(text, DOCUMENT_PREFIX.length);
  return out;
}
