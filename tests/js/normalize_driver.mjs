// The registrar page's document normalization (src/hramada/booth/js/registrar/document.js) for the
// differential test against Python's: one JSON request per stdin line, one JSON answer per line.
import { createInterface } from 'node:readline';
import { DocumentError, normalize } from '../../src/hramada/booth/js/registrar/document.js';

const hex = (b) => Buffer.from(b).toString('hex');

function one(text) {
  try {
    return hex(normalize(text));
  } catch (e) {
    if (e instanceof DocumentError) return null;
    throw e;
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    answer = { outputs: JSON.parse(line).inputs.map(one) };
  } catch (e) {
    answer = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
