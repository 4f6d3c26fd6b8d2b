// Apple App Attest assertions: after the attestation (app-attest.ts), the app signs each sensitive
// request with its attested Secure Enclave key (Apple's "Validating apps that connect to your
// server", assertion steps 1–5). The signature, the app id and a counter that must rise each time
// are checked here; step 6 — that the request (clientData) carries the challenge the backend
// issued — belongs to the caller, which reads clientData anyway.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type AppAttestConfig, appIdHash, decodeStrictMap, refuse, sha256 } from './app-attest.js';

export interface AppAttestAssertionInput {
  /** The assertion generateAssertion returned. */
  readonly assertion: Uint8Array;
  /**
   * The exact request bytes the app signed (it passed SHA-256 of them to generateAssertion). Taken
   * whole, not as a hash, so that what is verified is what the caller goes on to read.
   */
  readonly clientData: Uint8Array;
  /** The attested key from the attestation verdict (SPKI DER). */
  readonly publicKey: Uint8Array;
  /** The counter of the last assertion accepted for this key (0 right after attestation). */
  readonly storedCounter: number;
}

/** A signature (~72 bytes) and authenticator data (37 bytes, room for extensions): small. */
const MAX_ASSERTION_BYTES = 1024;
const AUTH_DATA_LENGTH = 32 + 1 + 4;

function attestedKey(spki: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw refuse('stored App Attest key is not a public key', err);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw refuse('stored App Attest key is not a P-256 key');
  return key;
}

/** Verifies an assertion; returns the new counter, which the caller stores for the next one. */
export function verifyAppAttestAssertion(
  config: Pick<AppAttestConfig, 'appId'>,
  input: AppAttestAssertionInput,
): { counter: number } {
  const rpIdHash = appIdHash(config.appId);
  const stored = input.storedCounter;
  if (!Number.isInteger(stored) || stored < 0 || stored > 0xffff_ffff)
    throw new RangeError('storedCounter must be a 32-bit unsigned integer');
  if (!(input.clientData instanceof Uint8Array)) throw refuse('client data is missing');
  const key = attestedKey(input.publicKey);
  const fields = decodeStrictMap(input.assertion, MAX_ASSERTION_BYTES, 'assertion', [
    'signature',
    'authenticatorData',
  ]);
  const signature = fields.get('signature');
  const authData = fields.get('authenticatorData');
  // Bytes after the counter (extensions) are allowed: the signature covers all of authData.
  if (
    !(signature instanceof Uint8Array) ||
    !(authData instanceof Uint8Array) ||
    authData.length < AUTH_DATA_LENGTH
  )
    throw refuse('assertion is malformed');
  // Steps 1–3: the key signed (ECDSA P-256, SHA-256, DER) nonce = SHA-256(authData ‖ SHA-256(clientData)).
  const nonce = sha256(authData, sha256(input.clientData));
  let valid: boolean;
  try {
    valid = verify('sha256', nonce, { key, dsaEncoding: 'der' }, signature);
  } catch (err) {
    throw refuse('assertion signature is malformed', err);
  }
  if (!valid) throw refuse('assertion signature does not verify');
  const data = Buffer.from(authData);
  if (!data.subarray(0, 32).equals(rpIdHash)) throw refuse('assertion is for another app'); // 4
  // Step 5: a counter that does not rise is a replayed (or cloned-key) assertion.
  const counter = data.readUInt32BE(33);
  if (counter <= stored) throw refuse('assertion counter did not increase');
  return { counter };
}
