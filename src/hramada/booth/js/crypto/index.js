// The voting booth's cryptography: the public API the booth pages import.
import { createBallot } from './ballot.js';
import { deriveSecret } from './credentials.js';
import { keyOf } from './election.js';

export { checkAudit } from './audit.js';
export { generateCredential, listedKeys, normalizeCredential } from './credentials.js';
export { getGroup } from './groups.js';
export { deriveSecret };
export { loadElection } from './election.js';
export { validatePlaintexts } from './plaintexts.js';

/**
 * Encrypt, prove and sign the voter's choices for `election` (from loadElection) with their
 * private credential. Resolves to {ballot: canonical JSON text, trackingCode: its Base64
 * SHA-256, audit: {choices, randomness}}; reveal `audit` only for a ballot that is never cast.
 * onProgress(done, total) is called after each proof.
 */
export async function makeBallot(election, credential, plaintexts, { onProgress } = {}) {
  return createBallot(election, credential, plaintexts, { onProgress });
}

/**
 * The public credential (g^s, encoded as in the public credential list and in ballots) of a
 * private credential for `election`: the booth checks it against the list before the voter
 * chooses anything.
 */
export function publicCredential(election, credential) {
  const { group } = keyOf(election);
  return group.encode(group.gPow(deriveSecret(credential, election.uuid, group.q)));
}
