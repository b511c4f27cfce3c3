// One request per line on stdin (JSON), one answer per line on stdout: the member page's
// registration module (src/hramada/booth/js/member/registration.js, blindrsa-ts inside) for
// tests/test_member_registration.py.
import { createInterface } from 'node:readline';
import { memberKey } from '../../src/hramada/booth/js/member/code.js';
import { finish, finishToken, prepare, prepareToken, requestBody } from '../../src/hramada/booth/js/member/registration.js';

const hex = (b) => Buffer.from(b).toString('hex');
const requests = new Map();

const ops = {
  async prepare({ uuid, group, registry }) {
    const request = await prepare(uuid, group, registry);
    requests.set(requests.size, request);
    return { id: requests.size - 1, credential: request.credential, public: request.public, input_msg: hex(request.input) };
  },
  async request({ id, code, uuid, challenge }) {
    return requestBody(memberKey(code), uuid, challenge, requests.get(id));
  },
  async finish({ id, blind_signature }) {
    return finish(requests.get(id), blind_signature);
  },
  async prepareToken({ uuid, registry }) {
    const request = await prepareToken(uuid, registry);
    requests.set(requests.size, request);
    return { id: requests.size - 1, nonce: hex(request.nonce), input_msg: hex(request.input) };
  },
  async finishToken({ id, blind_signature }) {
    return { token: await finishToken(requests.get(id), blind_signature) };
  },
  async blinded({ id }) {
    return { blinded: hex(requests.get(id).blinded) };
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
