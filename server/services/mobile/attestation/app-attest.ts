// Apple App Attest for the native iOS app: the one-time attestation in which Apple vouches that a
// key lives in the Secure Enclave of a genuine copy of our app (Apple's "Validating apps that
// connect to your server", attestation steps 1–9, in that order). Assertions the key signs later
// are in app-attest-assertion.ts. Nothing here trusts Apple by name: the root is the configured
// PEM, so an organisation (or a test) states the trust it means, as for the WebAuthn formats.
// Every refusal is VIW_E_ATTESTATION_INVALID with a short fixed reason; token bytes never go into
// details. A development-environment key is never accepted by a production backend.
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { x509 } from '../../../pki/x509.js';

export interface AppAttestConfig {
  /** Apple App Attestation Root CA (PEM), from configuration: never compiled in. */
  readonly rootPem: string;
  /** `<Team ID>.<bundle id>`: App Attest's relying party, hashed into every authData. */
  readonly appId: string;
  /** `production` accepts only production keys; `development` also accepts Xcode builds' keys. */
  readonly environment: 'production' | 'development';
}

export type AppAttestEnvironment = AppAttestConfig['environment'];

export interface AppAttestAttestationInput {
  /** The key id the app got from generateKey: base64 of SHA-256 of the public key's point. */
  readonly keyId: string;
  /** The attestation object attestKey returned. */
  readonly attestationObject: Uint8Array;
  /**
   * What the app passed to attestKey as clientDataHash. Our app passes SHA-256 of the challenge
   * the backend issued; it is taken as given (not hashed here) because that is what Apple's nonce
   * covers, and Apple's own published example passes a raw string instead of a hash.
   */
  readonly clientDataHash: Uint8Array;
}

export interface AppAttestVerdict {
  readonly format: 'apple_app_attest';
  readonly keyId: string;
  /** The attested key (SPKI DER), for verifying the assertions that follow. */
  readonly publicKey: Uint8Array;
  readonly counter: 0;
  readonly environment: AppAttestEnvironment;
  /**
   * Apple's receipt, kept to ask Apple's fraud-metric service about this key later. Nothing in the
   * attestation binds it (it is a PKCS #7 signed under Apple Root CA - G3, not the App Attest
   * root): the fraud-metric step must check its signature before trusting what it says.
   */
  readonly receipt: Uint8Array;
}

/** 1.2.840.113635.100.8.2: the credential certificate's nonce, SEQUENCE { [1] OCTET STRING }. */
const NONCE_OID = '1.2.840.113635.100.8.2';
const NONCE_PREFIX = Buffer.from([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]);
const AAGUIDS: Readonly<Record<AppAttestEnvironment, Buffer>> = {
  production: Buffer.from('appattest\0\0\0\0\0\0\0', 'latin1'),
  development: Buffer.from('appattestdevelop', 'latin1'),
};
/** Apple's objects are ~6 KB (two certificates and a receipt); anything far larger is not one. */
const MAX_ATTESTATION_BYTES = 16 * 1024;
const TEAM_APP_ID = /^[A-Z0-9]{10}\.[A-Za-z0-9][A-Za-z0-9.-]{0,154}$/;
/** authData: rpIdHash 32, flags 1, counter 4, aaguid 16, credential id length 2, id 32, key. */
const AUTH_DATA_MIN = 32 + 1 + 4 + 16 + 2 + 32;
const FLAG_ATTESTED_DATA = 0x40;

export const refuse = (reason: string, cause?: unknown) =>
  new ViworksError('VIW_E_ATTESTATION_INVALID', { details: [reason], ...(cause ? { cause } : {}) });

export const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

const badConfig = (setting: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`App Attest ${setting}`] });

/** SHA-256 of the configured app id: the rpIdHash every authData must start with. */
export function appIdHash(appId: string): Buffer {
  if (!TEAM_APP_ID.test(appId)) throw badConfig('appId is not <Team ID>.<bundle id>');
  return sha256(Buffer.from(appId, 'utf8'));
}

/** Checks the configuration (a fault of the operator, not of the phone) and parses its root. */
function checkConfig(config: AppAttestConfig): X509Certificate {
  if (config.environment !== 'production' && config.environment !== 'development')
    throw badConfig('environment is neither production nor development');
  let root: X509Certificate;
  try {
    root = new X509Certificate(config.rootPem);
  } catch {
    throw badConfig('rootPem is not a certificate');
  }
  if (!root.ca) throw badConfig('rootPem is not a CA certificate');
  return root;
}

/**
 * Decodes a CBOR map with exactly the named fields. The bytes must be exactly the canonical
 * encoding of what they decode to: the decoder skips bytes after the item and does not
 * bounds-check declared lengths, so anything else is refused rather than read leniently.
 */
export function decodeStrictMap(bytes: unknown, max: number, what: string, names: readonly string[]) {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw refuse(`${what} is missing`);
  if (bytes.length > max) throw refuse(`${what} is too large`);
  let decoded: unknown;
  let again: Uint8Array;
  try {
    decoded = isoCBOR.decodeFirst(new Uint8Array(bytes));
    again = isoCBOR.encode(decoded as Parameters<typeof isoCBOR.encode>[0]);
  } catch (err) {
    throw refuse(`${what} is not valid CBOR`, err);
  }
  if (!Buffer.from(again).equals(Buffer.from(bytes))) throw refuse(`${what} is not canonical CBOR`);
  if (!(decoded instanceof Map) || decoded.size !== names.length || !names.every((n) => decoded.has(n)))
    throw refuse(`${what} does not have the expected fields`);
  return decoded as Map<string, unknown>;
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function parseObject(bytes: Uint8Array) {
  const top = decodeStrictMap(bytes, MAX_ATTESTATION_BYTES, 'attestation object', [
    'fmt',
    'attStmt',
    'authData',
  ]);
  if (top.get('fmt') !== 'apple-appattest') throw refuse('attestation format is not apple-appattest');
  const stmt = top.get('attStmt');
  const authData = top.get('authData');
  if (!(stmt instanceof Map) || stmt.size !== 2) throw refuse('attestation statement is malformed');
  const x5c: unknown = stmt.get('x5c');
  const receipt: unknown = stmt.get('receipt');
  if (!Array.isArray(x5c) || x5c.length !== 2 || !x5c.every(isBytes))
    throw refuse('attestation chain is not [credential, intermediate]');
  if (!isBytes(receipt) || receipt.length === 0) throw refuse('attestation receipt is missing');
  if (!isBytes(authData) || authData.length < AUTH_DATA_MIN) throw refuse('authData is too short');
  return { x5c: x5c as [Uint8Array, Uint8Array], receipt, authData: Buffer.from(authData) };
}

const validAt = (cert: X509Certificate, now: Date) =>
  new Date(cert.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(cert.validTo).getTime();

/** Step 1: credential certificate ← intermediate ← the configured root, all valid at `now`. */
function checkChain(x5c: [Uint8Array, Uint8Array], root: X509Certificate, now: Date): X509Certificate {
  let cred: X509Certificate;
  let intermediate: X509Certificate;
  try {
    cred = new X509Certificate(x5c[0]);
    intermediate = new X509Certificate(x5c[1]);
  } catch (err) {
    throw refuse('attestation certificate is not valid X.509', err);
  }
  const issued = (child: X509Certificate, parent: X509Certificate) =>
    child.checkIssued(parent) && child.verify(parent.publicKey);
  if (!intermediate.ca || cred.ca || !issued(intermediate, root) || !issued(cred, intermediate))
    throw refuse('attestation does not chain to the configured root');
  if (![cred, intermediate, root].every((c) => validAt(c, now)))
    throw refuse('attestation certificate is not valid at this time');
  return cred;
}

/** The credential certificate's nonce extension (its extnValue DER), if it has one. */
function certNonce(cred: X509Certificate): Buffer | null {
  const ext = new x509.X509Certificate(cred.raw).getExtension(NONCE_OID);
  return ext ? Buffer.from(ext.value) : null;
}

/** The uncompressed P-256 point 04‖x‖y that Apple's key id is the hash of. */
function p256Point(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw refuse('attested key is not a P-256 key');
  const { x, y } = key.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(x ?? '', 'base64url'),
    Buffer.from(y ?? '', 'base64url'),
  ]);
}

function decodeKeyId(keyId: unknown): Buffer {
  const ok = typeof keyId === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(keyId);
  const bytes = ok ? Buffer.from(keyId, 'base64') : Buffer.alloc(0);
  if (!ok || bytes.toString('base64') !== keyId) throw refuse('key id is not a base64 SHA-256');
  return bytes;
}

/** Verifies an App Attest attestation; `now` is a parameter so a past published example replays. */
export function verifyAppAttestAttestation(
  config: AppAttestConfig,
  input: AppAttestAttestationInput,
  now: Date = new Date(),
): AppAttestVerdict {
  const root = checkConfig(config);
  const rpIdHash = appIdHash(config.appId);
  const keyId = decodeKeyId(input.keyId);
  if (!isBytes(input.clientDataHash) || input.clientDataHash.length === 0)
    throw refuse('client data hash is missing');
  const { x5c, receipt, authData } = parseObject(input.attestationObject);
  const cred = checkChain(x5c, root, now);
  // Steps 2–4: Apple signed SHA-256(authData ‖ clientDataHash) into the certificate, binding the
  // authData (and so everything checked below) and our challenge to Apple's signature. The whole
  // extension must be exactly SEQUENCE { [1] OCTET STRING nonce }: no other encoding is read.
  const nonce = certNonce(cred);
  if (!nonce?.equals(Buffer.concat([NONCE_PREFIX, sha256(authData, input.clientDataHash)])))
    throw refuse('attestation nonce does not match');
  const point = p256Point(cred.publicKey);
  if (!sha256(point).equals(keyId)) throw refuse('attested key does not match the key id'); // 5
  if (!authData.subarray(0, 32).equals(rpIdHash)) throw refuse('attestation is for another app'); // 6
  if (authData.readUInt32BE(33) !== 0) throw refuse('attestation counter is not zero'); // 7
  const aaguid = authData.subarray(37, 53);
  const environment = AAGUIDS.production.equals(aaguid)
    ? 'production'
    : AAGUIDS.development.equals(aaguid)
      ? 'development'
      : null; // 8
  if (!environment) throw refuse('attestation environment is unknown');
  if (config.environment === 'production' && environment !== 'production')
    throw refuse('development App Attest key refused in production');
  if (!((authData[32] ?? 0) & FLAG_ATTESTED_DATA) || authData.readUInt16BE(53) !== 32)
    throw refuse('authData has no 32-byte credential id');
  if (!authData.subarray(55, 87).equals(keyId)) throw refuse('credential id does not match the key id'); // 9
  return {
    format: 'apple_app_attest',
    keyId: input.keyId,
    publicKey: new Uint8Array(cred.publicKey.export({ type: 'spki', format: 'der' })),
    counter: 0,
    environment,
    receipt: new Uint8Array(receipt),
  };
}
