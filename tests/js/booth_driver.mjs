// Test driver: answers one JSON request a line on stdin with one JSON line on stdout, calling
// the booth's crypto modules straight from src (see tests/test_booth_crypto.py for the ops).
import { createInterface } from 'node:readline';
import { createBallot } from '../../src/hramada/booth/js/crypto/ballot.js';
import { getGroup } from '../../src/hramada/booth/js/crypto/groups.js';
import {
  checkAudit,
  listedKeys,
  loadElection,
  makeBallot,
  normalizeCredential,
  publicCredential,
  validatePlaintexts,
} from '../../src/hramada/booth/js/crypto/index.js';

const elections = new Map();

function election(text, trustees) {
  const key = JSON.stringify([text, trustees ?? null]);
  if (!elections.has(key)) elections.set(key, loadElection(text, trustees ?? null));
  return elections.get(key);
}

// The Web Worker entry, run with a stand-in for the worker's global scope.
let workerInbox = null;
globalThis.self = { postMessage: (message) => workerInbox.push(structuredClone(message)) };
await import('../../src/hramada/booth/js/crypto/worker.js');

async function ballot(req) {
  const e = election(req.election, req.trustees);
  const progress = [];
  const onProgress = (done, total) => progress.push([done, total]);
  const start = performance.now();
  let made;
  if (req.draws) {
    const draws = req.draws.map(BigInt);
    const draw = () => {
      if (!draws.length) throw new Error('ran out of draws');
      return draws.shift();
    };
    made = await createBallot(e, req.credential, req.plaintexts, { onProgress, draw });
    if (draws.length) throw new Error(`${draws.length} draws left over`);
  } else {
    made = await makeBallot(e, req.credential, req.plaintexts, { onProgress });
  }
  return { ...made, progress, ms: performance.now() - start };
}

const ops = {
  load: (req) => {
    const e = election(req.election, req.trustees);
    return { fingerprint: e.fingerprint, uuid: e.uuid, group: e.group, frozen: Object.isFrozen(e) };
  },
  ballot,
  ballots: async (req) => {
    const out = [];
    for (const plaintexts of req.plaintexts) out.push(await ballot({ ...req, plaintexts }));
    return out;
  },
  normalize: (req) => normalizeCredential(req.credential),
  public: (req) => publicCredential(election(req.election), req.credential),
  listed: (req) => [...listedKeys(req.list)],
  validate: (req) => validatePlaintexts(election(req.election), req.plaintexts) ?? null,
  audit: (req) => checkAudit(election(req.election, req.trustees), req.ballot, req.audit),
  decode: (req) => {
    const group = getGroup(req.group);
    return req.strings.map((s) => {
      try {
        return group.encode(group.decode(s));
      } catch {
        return null;
      }
    });
  },
  constants: (req) => {
    const g = getGroup(req.group);
    return { q: String(g.q), g: g.encode(g.g), p: g.p === undefined ? null : String(g.p) };
  },
  worker: async (req) => {
    workerInbox = [];
    const { election: electionText, trustees: trusteesText, credential, plaintexts } = req;
    await self.onmessage({ data: { electionText, trusteesText, credential, plaintexts } });
    return workerInbox;
  },
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    const req = JSON.parse(line);
    reply = { ok: (await ops[req.op](req)) ?? null };
  } catch (e) {
    reply = { error: { code: e.code ?? 'internal', message: String(e.message ?? e), character: e.character } };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
