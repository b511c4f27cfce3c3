// One request per line on stdin (JSON), one answer per line on stdout: @cloudflare/blindrsa-ts
// as an independent RFC 9474 implementation for tests/test_blind_rsa_interop.py.
import { createInterface } from 'node:readline';
import { BlindRSA, Params } from '@cloudflare/blindrsa-ts';

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const suite = (name) => {
  const params = Object.values(Params).find((p) => p.name === name);
  if (!params) throw new Error(`unknown variant ${name}`);
  return new BlindRSA({ ...params, supportsRSARAW: false });
};
const algorithm = { name: 'RSA-PSS', hash: 'SHA-384' };
const publicKey = (spki) =>
  crypto.subtle.importKey('spki', bytes(spki), algorithm, true, ['verify']);
const privateKey = (pkcs8) =>
  crypto.subtle.importKey('pkcs8', bytes(pkcs8), algorithm, true, ['sign']);

const ops = {
  async keygen({ bits }) {
    const pair = await BlindRSA.generateKey({
      modulusLength: bits,
      publicExponent: Uint8Array.from([1, 0, 1]),
      hash: 'SHA-384',
    });
    return {
      spki: hex(await crypto.subtle.exportKey('spki', pair.publicKey)),
      pkcs8: hex(await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
    };
  },
  async blind({ variant, spki, msg }) {
    const s = suite(variant);
    const input = s.prepare(bytes(msg));
    const { blindedMsg, inv } = await s.blind(await publicKey(spki), input);
    return { input_msg: hex(input), blinded_msg: hex(blindedMsg), inv: hex(inv) };
  },
  async sign({ variant, pkcs8, blinded_msg }) {
    const sig = await suite(variant).blindSign(await privateKey(pkcs8), bytes(blinded_msg));
    return { blind_sig: hex(sig) };
  },
  async finalize({ variant, spki, input_msg, blind_sig, inv }) {
    const key = await publicKey(spki);
    const sig = await suite(variant).finalize(key, bytes(input_msg), bytes(blind_sig), bytes(inv));
    return { sig: hex(sig) };
  },
  async verify({ variant, spki, input_msg, sig }) {
    const ok = await suite(variant).verify(await publicKey(spki), bytes(sig), bytes(input_msg));
    return { ok };
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = await ops[request.op](request);
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
