// Verifies an Android phone's Play Integrity verdict, decrypted and verified here with the keys the
// organisation downloads from the Play Console (local decryption, classic requests): the token is a
// compact JWE (A256KW + A256GCM) around a compact JWS (ES256) over the verdict JSON. We check what
// Google documents a backend must check: the request (package, our nonce, freshness), the app (Play
// recognises this build, our package, our signing certificate) and the device (MEETS_DEVICE_INTEGRITY:
// a rooted phone only meets basic integrity, an emulator only virtual integrity).
// node:crypto only: three fixed algorithms do not need a JOSE library, and fixing them here means a
// header can never choose another (no `none`, no HMAC with the public key, no key from the header).
// Every refusal is VIW_E_ATTESTATION_INVALID with a short fixed reason and no cause: a JSON or
// crypto error message can quote the token, and the token must not reach a log.
import {
  createDecipheriv,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { Type } from 'typebox';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { cachedValidator } from '../../../../core/schema/strict.js';

export interface PlayIntegrityConfig {
  /**
   * Play Console "decryption key": the 32-byte AES-256 key-wrapping key, raw. The verifier keeps its
   * own copy (a KeyObject), so the caller can wipe this buffer as soon as the verifier is built.
   */
  readonly decryptionKey: Uint8Array;
  /** Play Console "verification key": the EC P-256 public key's DER SubjectPublicKeyInfo. */
  readonly verificationKeySpki: Uint8Array;
  /** The phone app's package name (applicationId). */
  readonly packageName: string;
  /** SHA-256 of the app signing certificate(s), base64url as Play reports them (Play App Signing key). */
  readonly certificateSha256Digests: readonly string[];
  /** How old a verdict may be (from requestDetails.timestampMillis). */
  readonly maxAgeMs: number;
  /** The device label required; default MEETS_DEVICE_INTEGRITY (STRONG adds hardware-backed boot). */
  readonly requiredDeviceVerdict?: RequiredDeviceVerdict;
}

export type RequiredDeviceVerdict = 'MEETS_DEVICE_INTEGRITY' | 'MEETS_STRONG_INTEGRITY';

export interface PlayIntegrityVerdict {
  readonly format: 'play_integrity';
  /** deviceRecognitionVerdict labels, e.g. MEETS_DEVICE_INTEGRITY, MEETS_STRONG_INTEGRITY. */
  readonly deviceIntegrity: readonly string[];
  readonly appRecognition: string;
  readonly packageName: string;
  /** The configured signing-certificate digest the verdict named (base64url, no padding). */
  readonly certificateDigest: string;
  readonly timestampMs: number;
  /** MEETS_STRONG_INTEGRITY: hardware-backed boot integrity with a recent security patch. */
  readonly hardwareBacked: boolean;
  /** accountDetails.appLicensingVerdict (LICENSED, UNLICENSED, UNEVALUATED), recorded, not enforced. */
  readonly appLicensing: string | undefined;
}

export type PlayIntegrityVerifier = (
  token: unknown,
  expectedNonce: string,
  nowMs?: number,
) => PlayIntegrityVerdict;

const MAX_TOKEN_CHARS = 16 * 1024;
const MAX_HEADER_CHARS = 512;
const FUTURE_SKEW_MS = 60_000;
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex'); // RFC 3394 default IV
const B64URL = '[A-Za-z0-9_-]+';
const JWE_SHAPE = new RegExp(`^${B64URL}(\\.${B64URL}){4}$`);
const JWS_SHAPE = new RegExp(`^${B64URL}(\\.${B64URL}){2}$`);
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (reason: string) => new ViworksError('VIW_E_ATTESTATION_INVALID', { details: [reason] });
const badConfig = (setting: string, why: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`playIntegrity.${setting}: ${why}`] });

// The verdict's shape, with every string and list capped. Objects stay open: Google adds fields
// (environmentDetails, recentDeviceActivity, …) and a new field must not refuse every phone.
const Label = Type.String({ pattern: '^[A-Z_]{1,64}$' });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const VerdictSchema = Type.Object({
  requestDetails: Type.Object({
    requestPackageName: Text(255),
    nonce: Type.Optional(Text(1024)),
    requestHash: Type.Optional(Text(1024)),
    // int64 in Google's proto JSON: a decimal string (a number tolerated).
    timestampMillis: Type.Union([Type.String({ pattern: '^[0-9]{1,15}$' }), Type.Integer({ minimum: 0 })]),
  }),
  appIntegrity: Type.Object({
    appRecognitionVerdict: Label,
    packageName: Type.Optional(Text(255)),
    certificateSha256Digest: Type.Optional(Type.Array(Text(64), { maxItems: 16 })),
  }),
  deviceIntegrity: Type.Object({
    deviceRecognitionVerdict: Type.Optional(Type.Array(Label, { maxItems: 16 })),
  }),
  accountDetails: Type.Optional(Type.Object({ appLicensingVerdict: Type.Optional(Label) })),
});

/** Strict base64url (JOSE): the alphabet, and canonical, so one string has exactly one decoding. */
function b64url(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw refuse('token is not canonical base64url');
  return bytes;
}

/** Base64 in either alphabet, padded or not (the console and Play re-encode freely); null if not. */
function anyB64(s: string, maxChars = 1024): Buffer | null {
  if (s.length > maxChars || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return null;
  if (s.endsWith('=') && s.length % 4 !== 0) return null;
  const url = s.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
  const bytes = Buffer.from(url, 'base64url');
  return bytes.toString('base64url') === url ? bytes : null;
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

function json(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw refuse(`${what} is not UTF-8 JSON`);
  }
}

/** A protected header: a JSON object whose algorithms are exactly the ones we expect. */
function checkHeader(part: string, expected: Record<string, string>, what: string): void {
  if (part.length > MAX_HEADER_CHARS) throw refuse(`${what} header too large`);
  const h = json(b64url(part), `${what} header`);
  if (typeof h !== 'object' || h === null || Array.isArray(h))
    throw refuse(`${what} header is not an object`);
  for (const [name, value] of Object.entries(expected)) {
    if ((h as Record<string, unknown>)[name] !== value) throw refuse(`${what} ${name} is not ${value}`);
  }
  // Extensions we do not implement must not be silently ignored (RFC 7515 §4.1.11, RFC 7516 §4.1.3).
  if ('crit' in h || 'zip' in h) throw refuse(`${what} header uses an unsupported extension`);
}

function decryptJwe(token: string, kek: KeyObject): Buffer {
  const [header, wrapped, iv, ciphertext, tag] = token.split('.') as [string, string, string, string, string];
  checkHeader(header, { alg: 'A256KW', enc: 'A256GCM' }, 'JWE');
  const [cekWrapped, ivBytes, tagBytes] = [b64url(wrapped), b64url(iv), b64url(tag)];
  if (cekWrapped.length !== 40 || ivBytes.length !== 12 || tagBytes.length !== 16)
    throw refuse('JWE part has the wrong length');
  try {
    const unwrap = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
    const cek = Buffer.concat([unwrap.update(cekWrapped), unwrap.final()]);
    const gcm = createDecipheriv('aes-256-gcm', cek, ivBytes, { authTagLength: 16 });
    gcm.setAAD(Buffer.from(header, 'ascii')); // the protected header as sent (RFC 7516 §5.2 step 14)
    gcm.setAuthTag(tagBytes);
    return Buffer.concat([gcm.update(b64url(ciphertext)), gcm.final()]);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw refuse('token does not decrypt with the configured key');
  }
}

function verifyJws(plaintext: Buffer, publicKey: KeyObject): unknown {
  const jws = plaintext.toString('latin1');
  if (!JWS_SHAPE.test(jws)) throw refuse('decrypted token is not a compact JWS');
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  checkHeader(header, { alg: 'ES256' }, 'JWS');
  const sig = b64url(signature);
  // ES256 signatures are r||s, 64 bytes (RFC 7518 §3.4), not DER.
  const ok =
    sig.length === 64 &&
    verify(
      'sha256',
      Buffer.from(`${header}.${payload}`, 'ascii'),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      sig,
    );
  if (!ok) throw refuse('verdict signature does not verify with the configured key');
  return json(b64url(payload), 'verdict');
}

/** The nonce (classic request) or request hash (standard request) binds the verdict to our request. */
function boundToRequest(details: { nonce?: string; requestHash?: string }, expected: string): boolean {
  if (details.nonce !== undefined && details.requestHash === undefined) {
    // Compared as bytes: Play may hand the nonce back padded or in the other base64 alphabet.
    const [got, want] = [anyB64(details.nonce), anyB64(expected)];
    return got !== null && want !== null && want.length > 0 && sameBytes(got, want);
  }
  if (details.requestHash !== undefined && details.nonce === undefined)
    return expected.length > 0 && sameBytes(Buffer.from(details.requestHash), Buffer.from(expected));
  return false;
}

function loadConfig(config: PlayIntegrityConfig) {
  if (!(config.decryptionKey instanceof Uint8Array) || config.decryptionKey.length !== 32)
    throw badConfig('decryptionKey', 'not an AES-256 key (32 bytes)');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(config.verificationKeySpki),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw badConfig('verificationKey', 'not a DER public key');
  }
  if (publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw badConfig('verificationKey', 'not an EC P-256 key');
  if (
    !/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/.test(config.packageName) ||
    config.packageName.length > 255
  )
    throw badConfig('packageName', 'not an Android package name');
  const digests = config.certificateSha256Digests.map((d) => anyB64(d));
  if (digests.length === 0 || !digests.every((d) => d?.length === 32))
    throw badConfig('certificateSha256Digests', 'need one or more base64url SHA-256 digests');
  if (!Number.isSafeInteger(config.maxAgeMs) || config.maxAgeMs <= 0)
    throw badConfig('maxAgeMs', 'not a positive integer');
  const required = config.requiredDeviceVerdict ?? 'MEETS_DEVICE_INTEGRITY';
  if (required !== 'MEETS_DEVICE_INTEGRITY' && required !== 'MEETS_STRONG_INTEGRITY')
    throw badConfig('requiredDeviceVerdict', 'not MEETS_DEVICE_INTEGRITY or MEETS_STRONG_INTEGRITY');
  const { packageName, maxAgeMs } = config; // copied: a later change to the object changes nothing
  // createSecretKey copies the bytes: the caller's buffer can be wiped once this returns.
  const kek = createSecretKey(config.decryptionKey);
  return { kek, publicKey, digests: digests as Buffer[], packageName, maxAgeMs, required };
}

/** Builds the verifier once from configuration (checked now, at start-up, not at the first phone). */
export function playIntegrityVerifier(config: PlayIntegrityConfig): PlayIntegrityVerifier {
  const { kek, publicKey, digests, packageName, maxAgeMs, required } = loadConfig(config);
  const schema = cachedValidator(VerdictSchema);
  return (token, expectedNonce, nowMs = Date.now()) => {
    // Sizes and shape before any decoding.
    if (typeof token !== 'string') throw refuse('integrity token is not a string');
    if (token.length > MAX_TOKEN_CHARS) throw refuse('integrity token too large');
    if (!JWE_SHAPE.test(token)) throw refuse('integrity token is not a compact JWE');
    const v = verifyJws(decryptJwe(token, kek), publicKey);
    if (!schema.check(v)) throw refuse('verdict is malformed');

    // The request first (Google: check requestDetails before any verdict in it).
    const req = v.requestDetails;
    if (req.requestPackageName !== packageName) throw refuse('verdict is for another package');
    if (!boundToRequest(req, expectedNonce)) throw refuse('verdict nonce does not match the issued nonce');
    const timestampMs = Number(req.timestampMillis);
    if (nowMs - timestampMs > maxAgeMs) throw refuse('verdict is too old');
    if (timestampMs - nowMs > FUTURE_SKEW_MS) throw refuse('verdict is from the future');

    const app = v.appIntegrity;
    if (app.appRecognitionVerdict !== 'PLAY_RECOGNIZED') throw refuse('app is not recognised by Google Play');
    if (app.packageName !== packageName) throw refuse('app package does not match');
    const signer = digests.find((want) =>
      (app.certificateSha256Digest ?? []).some((d) => {
        const got = anyB64(d);
        return got !== null && sameBytes(got, want);
      }),
    );
    if (!signer) throw refuse('app signing certificate is not a configured one');

    const device = v.deviceIntegrity.deviceRecognitionVerdict ?? [];
    if (!device.includes('MEETS_DEVICE_INTEGRITY')) {
      if (device.includes('MEETS_VIRTUAL_INTEGRITY')) throw refuse('device is an emulator');
      if (device.includes('MEETS_BASIC_INTEGRITY')) throw refuse('device fails device integrity (rooted)');
      throw refuse('device is not recognised');
    }
    if (required === 'MEETS_STRONG_INTEGRITY' && !device.includes('MEETS_STRONG_INTEGRITY'))
      throw refuse('device lacks strong (hardware-backed) integrity');
    return {
      format: 'play_integrity',
      deviceIntegrity: device,
      appRecognition: app.appRecognitionVerdict,
      packageName: app.packageName,
      certificateDigest: signer.toString('base64url'),
      timestampMs,
      hardwareBacked: device.includes('MEETS_STRONG_INTEGRITY'),
      appLicensing: v.accountDetails?.appLicensingVerdict,
    };
  };
}
