// One request per line on stdin (JSON), one answer per line on stdout: the member page's code
// and key derivation (src/hramada/booth/js/member/code.js) for tests/test_member_code.py.
import { createInterface } from 'node:readline';
import { memberKey, newCode, normalizeCode, signWith } from '../../src/hramada/booth/js/member/code.js';

const ops = {
  new: () => ({ code: newCode() }),
  normalize: ({ text }) => ({ code: normalizeCode(text) }),
  key: ({ code }) => ({ key: memberKey(code).publicHex, shown: memberKey(code).shown }),
  sign: ({ code, msg }) => ({ sig: Buffer.from(signWith(memberKey(code), Buffer.from(msg, 'hex'))).toString('hex') }),
};

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = ops[request.op](request);
  } catch (error) {
    answer = { error: error.code || String(error.message) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
