// Runs a bundled worker.js (argument) on the request read from stdin, as a browser would run
// the Web Worker, and prints every message it posts as one JSON list.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));
const messages = [];
let finished;
const done = new Promise((resolve) => {
  finished = resolve;
});
globalThis.self = {
  postMessage(message) {
    messages.push(structuredClone(message));
    if (!message.progress) finished();
  },
};
await import(pathToFileURL(process.argv[2]).href);
self.onmessage({ data: request });
await done;
console.log(JSON.stringify(messages));
