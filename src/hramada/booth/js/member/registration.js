// A credential for one election, as registry/member.py and election/registrations.py make it:
// a fresh Belenios credential, its registration message blinded with @cloudflare/blindrsa-ts
// (RSABSSA-SHA384-PSS-Randomized, RFC 9474), the request signed with the member key.
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { deriveSecret, generateCredential, getGroup } from '../crypto/index.js';
import { signWith } from './code.js';

const encoder = new TextEncoder();
const VARIANT = 'RSABSSA-SHA384-PSS-Randomized';

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The election server's and the registry's keys for the election are the same (the binding). */
export function sameKey(a, b) {
  return Boolean(a && b) && ['variant', 'blind_key', 'statement_key'].every((f) => a[f] === b[f]);
}

function suite() {
  return RSABSSA.SHA384.PSS.Randomized({ supportsRSARAW: false });
}

function importKey(registry) {
  if (registry.variant !== VARIANT) throw new Error(`the registry key is for ${registry.variant}`);
  const spki = fromBase64(registry.blind_key);
  return crypto.subtle.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
}

/**
 * A fresh credential in `groupName` and its blinded registration message:
 * {credential (private, stays here), public, input, blinded, inv, key}.
 */
export async function prepare(uuid, groupName, registry) {
  const group = getGroup(groupName);
  if (!group) throw new Error(`unknown group ${groupName}`);
  const credential = generateCredential();
  const pub = group.encode(group.gPow(deriveSecret(credential, uuid, group.q)));
  const key = await importKey(registry);
  const input = suite().prepare(encoder.encode(`hramada-registration/1\n${uuid}\n${pub}`));
  const { blindedMsg, inv } = await suite().blind(key, input);
  return { credential, public: pub, input, blinded: blindedMsg, inv, key };
}

/** The body of the request for a blind signature, signed by the member key over `challenge`. */
export function requestBody(memberKey, uuid, challenge, request) {
  const message = concat(encoder.encode(`hramada-credential-request/1\n${uuid}\n${challenge}\n`), request.blinded);
  return {
    member_key: memberKey.publicHex,
    challenge,
    blinded: toBase64(request.blinded),
    signature: toHex(signWith(memberKey, message)),
  };
}

/** Unblind the registry's answer (blindrsa-ts verifies it) into the registration to post. */
export async function finish(request, blindSignature) {
  const signature = await suite().finalize(request.key, request.input, fromBase64(blindSignature), request.inv);
  return { credential: request.public, prefix: toBase64(request.input.slice(0, 32)), signature: toBase64(signature) };
}

const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * A one-time token for a parallel vote tabulation, as registry/member.py's pvt_token makes it:
 * a random nonce under `hramada-pvt-token/1\n<uuid>\n<nonce hex>`, blinded for the registry
 * ({nonce, input, blinded, inv, key}; requestBody signs the request as for a credential).
 */
export async function prepareToken(uuid, registry) {
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const key = await importKey(registry);
  const input = suite().prepare(encoder.encode(`hramada-pvt-token/1\n${uuid}\n${toHex(nonce)}`));
  const { blindedMsg, inv } = await suite().blind(key, input);
  return { nonce, input, blinded: blindedMsg, inv, key };
}

/** Unblind the registry's answer (blindrsa-ts verifies it) into the token, `T1.` + Base64url. */
export async function finishToken(request, blindSignature) {
  const signature = await suite().finalize(request.key, request.input, fromBase64(blindSignature), request.inv);
  return 'T1.' + toBase64Url(concat(request.input.slice(0, 32), request.nonce, signature));
}
