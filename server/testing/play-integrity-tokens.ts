// Play Integrity tokens for tests, in Google's format: a compact JWE (A256KW + A256GCM) around a
// compact ES256 JWS over the verdict JSON, made with keys the test creates in place of the Play
// Console's. Used by the verifier's unit test and by the route test that binds an Android phone.
import { createCipheriv, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex'); // RFC 3394 default IV
const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** The two keys the Play Console lets an organisation download, and Google's signing key. */
export interface PlayConsoleKeys {
  /** AES-256 key-wrapping key (the console's "decryption key", raw). */
  readonly decryptionKey: Buffer;
  /** DER SPKI of the verdict signing key (the console's "verification key"). */
  readonly verificationKeySpki: Buffer;
  /** What Google signs verdicts with (never leaves Google in real life). */
  readonly signingKey: KeyObject;
}

export function newPlayConsoleKeys(): PlayConsoleKeys {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    decryptionKey: randomBytes(32),
    verificationKeySpki: ec.publicKey.export({ format: 'der', type: 'spki' }),
    signingKey: ec.privateKey,
  };
}

export interface VerdictFields {
  readonly packageName: string;
  readonly nonce: string;
  readonly timestampMs: number;
  /** SHA-256 of the app signing certificate. */
  readonly certificateDigest: Buffer;
  readonly deviceVerdict?: readonly string[];
  readonly appRecognition?: string;
}

/** A verdict's JSON as Play writes it (the fields the backend reads, and a few it does not). */
export interface PlayVerdict {
  requestDetails: {
    requestPackageName: string;
    nonce?: string;
    requestHash?: string;
    timestampMillis: string;
  };
  appIntegrity: {
    appRecognitionVerdict: string;
    packageName?: string;
    certificateSha256Digest?: string[];
    versionCode?: string;
  };
  deviceIntegrity: { deviceRecognitionVerdict?: string[] };
  accountDetails?: { appLicensingVerdict?: string };
  environmentDetails?: { playProtectVerdict?: string };
}

/** A classic-request verdict as Play returns it (JSON object, before signing). */
export function classicVerdict(f: VerdictFields): PlayVerdict {
  return {
    requestDetails: {
      requestPackageName: f.packageName,
      nonce: f.nonce,
      timestampMillis: String(f.timestampMs),
    },
    appIntegrity: {
      appRecognitionVerdict: f.appRecognition ?? 'PLAY_RECOGNIZED',
      packageName: f.packageName,
      certificateSha256Digest: [f.certificateDigest.toString('base64url')],
      versionCode: '42',
    },
    deviceIntegrity: { deviceRecognitionVerdict: [...(f.deviceVerdict ?? ['MEETS_DEVICE_INTEGRITY'])] },
    accountDetails: { appLicensingVerdict: 'LICENSED' },
    environmentDetails: { playProtectVerdict: 'NO_ISSUES' },
  };
}

export function signVerdict(payload: unknown, key: KeyObject, header: object = { alg: 'ES256' }): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

export function encryptToken(
  plaintext: string,
  kek: Buffer,
  header: object = { alg: 'A256KW', enc: 'A256GCM' },
): string {
  const h = b64u(JSON.stringify(header));
  const cek = randomBytes(32);
  const kw = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
  const wrapped = Buffer.concat([kw.update(cek), kw.final()]);
  const iv = randomBytes(12);
  const gcm = createCipheriv('aes-256-gcm', cek, iv);
  gcm.setAAD(Buffer.from(h));
  const ct = Buffer.concat([gcm.update(plaintext), gcm.final()]);
  return [h, wrapped, iv, ct, gcm.getAuthTag()].map((p) => (typeof p === 'string' ? p : b64u(p))).join('.');
}

/** The integrity token Play hands the app for `verdict`. */
export function integrityToken(keys: PlayConsoleKeys, verdict: unknown): string {
  return encryptToken(signVerdict(verdict, keys.signingKey), keys.decryptionKey);
}
