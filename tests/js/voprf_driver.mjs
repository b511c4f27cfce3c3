// Cloudflare's voprf-ts (RFC 9497, ristretto255-SHA512 on @noble/curves) as the independent peer
// of our OPRF: one JSON request per stdin line, one JSON answer per stdout line; bytes are hex.
import { createInterface } from 'node:readline';
import {
  DLEQProof, DLEQVerifier, Evaluation, EvaluationRequest, FinalizeData, Oprf, OPRFClient, OPRFServer,
  VOPRFClient, VOPRFServer, deriveKeyPair, generatePublicKey,
} from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';

Oprf.Crypto = CryptoNoble;
const SUITE = Oprf.Suite.RISTRETTO255_SHA512;
const group = Oprf.getGroup(SUITE);
const hex = (b) => Buffer.from(b).toString('hex');
const bin = (h) => new Uint8Array(Buffer.from(h, 'hex'));

function client(req) {
  return req.mode === Oprf.Mode.VOPRF ? new VOPRFClient(SUITE, bin(req.pk)) : new OPRFClient(SUITE);
}

function server(req) {
  return req.mode === Oprf.Mode.VOPRF ? new VOPRFServer(SUITE, bin(req.sk)) : new OPRFServer(SUITE, bin(req.sk));
}

const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const scalar = (n) => {
  let v = ((n % ORDER) + ORDER) % ORDER;
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, v >>= 8n) b[i] = Number(v & 0xffn);
  return group.desScalar(b);
};
const modPow = (b, e) => {
  let acc = 1n;
  for (b %= ORDER; e > 0n; e >>= 1n, b = (b * b) % ORDER) if (e & 1n) acc = (acc * b) % ORDER;
  return acc;
};

/** The TOPPSS client written independently of ours: each custodian's share key from the Feldman
 * commitments, its DLEQ proof checked with voprf-ts, k answers interpolated in the exponent. */
async function combine(req) {
  const finData = FinalizeData.deserialize(SUITE, bin(req.state));
  const commitments = req.commitments.map((c) => group.desElt(bin(c)));
  const verifier = new DLEQVerifier({ group: group.id, hash: Oprf.getHash(SUITE), dst: Oprf.getDST(Oprf.Mode.VOPRF, SUITE, '') });
  const good = [];
  const bad = [];
  for (const a of req.answers) {
    let key = group.identity();
    commitments.forEach((c, j) => { key = key.add(c.mul(scalar(BigInt(a.index) ** BigInt(j)))); });
    const evaluated = a.evaluated.map((e) => group.desElt(bin(e)));
    const proof = new DLEQProof(group.desScalar(bin(a.proof.slice(0, 64))), group.desScalar(bin(a.proof.slice(64))));
    const pairs = finData.evalReq.blinded.map((b, i) => [b, evaluated[i]]);
    if (await verifier.verify_batch([group.generator(), key], pairs, proof)) good.push({ index: BigInt(a.index), evaluated });
    else bad.push(a.index);
  }
  if (good.length < commitments.length) throw new Error(`not enough valid answers; wrong: ${bad}`);
  const chosen = good.slice(0, commitments.length);
  const combined = finData.inputs.map((_, pos) => {
    let acc = group.identity();
    for (const g of chosen) {
      let num = 1n;
      let den = 1n;
      for (const h of chosen) if (h.index !== g.index) { num = (num * h.index) % ORDER; den = (den * (h.index - g.index)) % ORDER; }
      acc = acc.add(g.evaluated[pos].mul(scalar(num * modPow((den + ORDER) % ORDER, ORDER - 2n))));
    }
    return acc;
  });
  const outputs = await new OPRFClient(SUITE).finalize(finData, new Evaluation(Oprf.Mode.OPRF, combined));
  return { outputs: outputs.map(hex), wrong: bad };
}

const ops = {
  combine,
  async keypair(req) {
    const { privateKey, publicKey } = await deriveKeyPair(req.mode, SUITE, bin(req.seed), bin(req.info));
    return { sk: hex(privateKey), pk: hex(publicKey) };
  },
  async public_key(req) {
    return { pk: hex(generatePublicKey(SUITE, bin(req.sk))) };
  },
  async blind(req) {
    const [finData, evalReq] = await client(req).blind(req.inputs.map(bin));
    return { state: hex(finData.serialize()), blinded: evalReq.blinded.map((e) => hex(e.serialize())) };
  },
  async finalize(req) {
    const finData = FinalizeData.deserialize(SUITE, bin(req.state));
    const proof = req.proof
      ? new DLEQProof(group.desScalar(bin(req.proof.slice(0, 64))), group.desScalar(bin(req.proof.slice(64))))
      : undefined;
    const evaluation = new Evaluation(req.mode, req.evaluated.map((e) => group.desElt(bin(e))), proof);
    return { outputs: (await client(req).finalize(finData, evaluation)).map(hex) };
  },
  async evaluate(req) {
    const evalReq = new EvaluationRequest(req.blinded.map((e) => group.desElt(bin(e))));
    const evaluation = await server(req).blindEvaluate(evalReq);
    return {
      evaluated: evaluation.evaluated.map((e) => hex(e.serialize())),
      proof: evaluation.proof ? hex(evaluation.proof.serialize()) : null,
    };
  },
  async direct(req) {
    return { output: hex(await server(req).evaluate(bin(req.input))) };
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    const req = JSON.parse(line);
    answer = await ops[req.op](req);
  } catch (e) {
    answer = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
