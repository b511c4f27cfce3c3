// The threshold VOPRF client of the registrar's page, on Cloudflare's voprf-ts: blind the document
// number, ask k custodians, check each one's DLEQ proof against its share key (from the pinned
// commitments), ask others in place of those that fail, combine k answers in the exponent
// (Lagrange), finalize into the tag. The twin of hramada.registry.custodian_client (Python).
import { DLEQProof, DLEQVerifier, Evaluation, Oprf, OPRFClient, VOPRFClient } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

Oprf.Crypto = CryptoNoble;
const SUITE = Oprf.Suite.RISTRETTO255_SHA512;
const group = Oprf.getGroup(SUITE);
const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const TIMEOUT_MS = 15000;

/** The custodians file cannot be used: `code` names what is wrong, `values` where. */
export class CustodiansFileError extends Error {
  constructor(code, values = {}) {
    super(code);
    this.code = code;
    this.values = values;
  }
}

/** Fewer than k custodians gave a valid answer; `failures` says what each of the others did. */
export class CustodiansFailed extends Error {
  constructor(valid, needed, failures) {
    super(`${valid} valid answers, ${needed} needed`);
    this.valid = valid;
    this.needed = needed;
    this.failures = failures;
  }
}

const mod = (n) => ((n % ORDER) + ORDER) % ORDER;

function scalar(n) {
  let v = mod(n);
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return group.desScalar(bytes);
}

function inverse(n) {
  let acc = 1n;
  for (let b = mod(n), e = ORDER - 2n; e > 0n; e >>= 1n, b = (b * b) % ORDER) if (e & 1n) acc = (acc * b) % ORDER;
  return acc;
}

function element(text, n) {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{64}$/.test(text)) throw new CustodiansFileError('commitment', { n });
  try {
    const e = group.desElt(hexToBytes(text));
    if (e.isIdentity()) throw new Error('identity');
    return e;
  } catch {
    throw new CustodiansFileError('commitment', { n });
  }
}

/**
 * The registrar's custodians file, as `hramada registry enrol` reads it: {"commitments": [hex],
 * "custodians": [{"index", "url", "token"}, ...]}; the threshold is the number of commitments.
 */
export function parseCustodians(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CustodiansFileError('json');
  }
  if (!doc || !Array.isArray(doc.commitments) || !Array.isArray(doc.custodians) || !doc.commitments.length) {
    throw new CustodiansFileError('shape');
  }
  const commitments = doc.commitments.map((c, j) => element(c, j + 1));
  const custodians = doc.custodians.map((c) => {
    const index = c && c.index;
    if (!Number.isInteger(index) || index < 1 || index > 255) throw new CustodiansFileError('index', { index: String(index) });
    let url;
    try {
      url = new URL(String(c.url));
    } catch {
      throw new CustodiansFileError('url', { index });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CustodiansFileError('url', { index });
    if (typeof c.token !== 'string' || !c.token) throw new CustodiansFileError('token', { index });
    const base = url.href.replace(/\/+$/, '');
    return { index, url: base, origin: url.origin, token: c.token, key: shareKey(index, commitments) };
  });
  if (new Set(custodians.map((c) => c.index)).size !== custodians.length || custodians.length < commitments.length) {
    throw new CustodiansFileError('count', { needed: commitments.length });
  }
  return { commitments, threshold: commitments.length, custodians };
}

/** sum_j C_j * index^j: the public key of custodian `index`'s share, from the commitments. */
function shareKey(index, commitments) {
  let key = group.identity();
  let power = 1n;
  for (const c of commitments) {
    key = key.add(c.mul(scalar(power)));
    power = (power * BigInt(index)) % ORDER;
  }
  return key;
}

const verifier = new DLEQVerifier({ group: group.id, hash: Oprf.getHash(SUITE), dst: Oprf.getDST(Oprf.Mode.VOPRF, SUITE, '') });

/** One custodian's evaluated element for `blinded`, its proof checked; or a failure record. */
async function ask(custodian, blinded) {
  const failure = (kind, extra = {}) => ({ failure: { index: custodian.index, url: custodian.url, kind, ...extra } });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let doc;
  try {
    response = await fetch(`${custodian.url}/api/custodian/evaluate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${custodian.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ blinded: [bytesToHex(blinded.serialize())] }),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal: controller.signal,
    });
    doc = await response.json().catch(() => null);
  } catch {
    return failure('unreachable');
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    const error = doc && doc.error && typeof doc.error.message === 'string' ? doc.error.message : '';
    return failure('refused', { status: response.status, message: error });
  }
  try {
    if (!doc || doc.index !== custodian.index || !Array.isArray(doc.evaluated) || doc.evaluated.length !== 1) throw new Error();
    if (typeof doc.proof !== 'string' || !/^[0-9a-fA-F]{128}$/.test(doc.proof)) throw new Error();
    const evaluated = group.desElt(hexToBytes(doc.evaluated[0]));
    const proof = DLEQProof.deserialize(group.id, hexToBytes(doc.proof));
    if (await verifier.verify_batch([group.generator(), custodian.key], [[blinded, evaluated]], proof)) return { evaluated };
  } catch {
    // a malformed answer is a wrong one
  }
  return failure('wrong');
}

/** Lagrange interpolation in the exponent of k verified answers {index: element}. */
function interpolate(answers) {
  const chosen = [...answers.keys()].map(BigInt);
  let acc = group.identity();
  for (const i of chosen) {
    let num = 1n;
    let den = 1n;
    for (const j of chosen) if (j !== i) { num = (num * j) % ORDER; den = (den * (j - i)) % ORDER; }
    acc = acc.add(answers.get(Number(i)).mul(scalar(num * inverse(den))));
  }
  return acc;
}

/**
 * The de-duplication tag (64 bytes) of `input` (the normalized document number) from k of the
 * `pinned` custodians: k asked at once, then others in place of those that failed. Returns
 * {tag, used, failures}; throws CustodiansFailed when fewer than k answered rightly.
 */
export async function tagFor(pinned, input) {
  const client = new VOPRFClient(SUITE, pinned.commitments[0].serialize());
  const [finData, request] = await client.blind([input]);
  const blinded = request.blinded[0];
  const answers = new Map();
  const failures = [];
  const pending = [...pinned.custodians];
  while (answers.size < pinned.threshold && pending.length) {
    const batch = pending.splice(0, pinned.threshold - answers.size);
    const replies = await Promise.all(batch.map((c) => ask(c, blinded)));
    replies.forEach((reply, n) => {
      if (reply.failure) failures.push(reply.failure);
      else answers.set(batch[n].index, reply.evaluated);
    });
  }
  if (answers.size < pinned.threshold) throw new CustodiansFailed(answers.size, pinned.threshold, failures);
  const combined = interpolate(answers);
  const [tag] = await new OPRFClient(SUITE).finalize(finData, new Evaluation(Oprf.Mode.OPRF, [combined]));
  return { tag, used: [...answers.keys()].sort((a, b) => a - b), failures };
}
