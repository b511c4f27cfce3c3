// Web Worker entry: makes a ballot off the page's thread, posting progress, then the result.
import { loadElection, makeBallot } from './index.js';

const elections = new Map(); // election (and trustees) text -> loaded election, tables kept

function election(electionText, trusteesText) {
  const cacheKey = JSON.stringify([electionText, trusteesText ?? null]);
  if (!elections.has(cacheKey)) elections.set(cacheKey, loadElection(electionText, trusteesText));
  return elections.get(cacheKey);
}

// Message in: {electionText, trusteesText?, credential, plaintexts}. Messages out: any number
// of {progress: [done, total]}, then {result: {ballot, trackingCode, audit}} or
// {error: {code, message}}.
self.onmessage = async (event) => {
  const { electionText, trusteesText, credential, plaintexts } = event.data ?? {};
  try {
    const result = await makeBallot(election(electionText, trusteesText), credential, plaintexts, {
      onProgress: (done, total) => self.postMessage({ progress: [done, total] }),
    });
    self.postMessage({ result });
  } catch (e) {
    self.postMessage({ error: { code: e?.code ?? 'internal', message: String(e?.message ?? e) } });
  }
};
