// The attestation policy of this backend, assembled once at start from configuration: the WebAuthn
// roots per format (policy.ts), and — each only when configured — App Attest for the native iOS app
// and Play Integrity for the native Android app. Every file is read now, so a missing or malformed
// one stops the start with VIW_E_CONFIG naming the setting (never its content); nothing is skipped.
// The Play Console decryption key is handled as bytes only (never a JS string, which cannot be
// wiped): decoded from its file's base64 into a buffer, handed to the verifier (which keeps its own
// KeyObject copy), and both buffers are zeroed.
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../../config.js';
import { phoneAppOrigin } from '../phone-origin.js';
import { appIdHash } from './app-attest.js';
import { playIntegrityVerifier } from './play-integrity.js';
import {
  type AttestationPolicy,
  loadAttestationRoots,
  type NativeAppAttest,
  type NativePlayIntegrity,
} from './policy.js';

export type AttestationSettings = Pick<
  ServerConfig,
  'attestationRoots' | 'appAttest' | 'playIntegrity' | 'publicNames' | 'phoneOrigin' | 'listenPort'
>;

/** Reads a whole file as bytes (readFileSync in production). */
export type ReadFile = (path: string) => Buffer;

const bad = (setting: string, why: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`${setting}: ${why}`] });
const sha256hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function readOrFail(read: ReadFile, path: string, setting: string): Buffer {
  try {
    return read(path);
  } catch {
    throw bad(setting, `cannot read ${path}`);
  }
}

const B64_VALUES = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  t[0x2b] = t[0x2d] = 62; // + and -
  t[0x2f] = t[0x5f] = 63; // / and _
  return t;
})();
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Base64 (either alphabet, padding optional, surrounding whitespace allowed) decoded straight from
 * bytes, never through a string; canonical only (unused bits zero). Null when malformed.
 */
export function decodeBase64Bytes(text: Uint8Array): Buffer | null {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text[start])) start++;
  while (end > start && isSpace(text[end - 1])) end--;
  let pad = 0;
  while (end > start && text[end - 1] === 0x3d && pad < 2) {
    end--;
    pad++;
  }
  const n = end - start;
  if (n === 0 || n % 4 === 1 || (pad > 0 && (n + pad) % 4 !== 0)) return null;
  const out = Buffer.alloc(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = start; i < end; i++) {
    const v = B64_VALUES[text[i] ?? 0] ?? -1;
    if (v < 0) {
      out.fill(0);
      return null;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) {
    out.fill(0);
    return null;
  }
  return out;
}

function loadAppAttest(c: NonNullable<ServerConfig['appAttest']>, read: ReadFile): NativeAppAttest {
  const text = readOrFail(read, c.rootFile, 'appAttest.rootFile').toString('utf8');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? [];
  if (pems.length !== 1)
    throw bad('appAttest.rootFile', `${c.rootFile} must hold exactly one PEM certificate`);
  let root: X509Certificate;
  try {
    root = new X509Certificate(pems[0] ?? '');
  } catch {
    throw bad('appAttest.rootFile', `the certificate in ${c.rootFile} does not parse`);
  }
  if (!root.ca) throw bad('appAttest.rootFile', `the certificate in ${c.rootFile} is not a CA`);
  appIdHash(c.appId); // checks the form now (VIW_E_CONFIG), not at the first phone
  return {
    config: { rootPem: pems[0] ?? '', appId: c.appId, environment: c.environment },
    rootFingerprint: sha256hex(root.raw),
  };
}

/** The verification key: base64 of the DER SPKI as the Play Console shows it, or a PEM public key. */
function verificationKey(bytes: Buffer, path: string): Buffer {
  const text = bytes.toString('utf8');
  try {
    if (text.includes('-----BEGIN PUBLIC KEY-----'))
      return createPublicKey(text).export({ type: 'spki', format: 'der' });
  } catch {
    throw bad('playIntegrity.verificationKeyFile', `the PEM key in ${path} does not parse`);
  }
  const der = decodeBase64Bytes(bytes);
  if (!der)
    throw bad('playIntegrity.verificationKeyFile', `${path} is neither base64 DER nor a PEM public key`);
  return der;
}

/** A configured certificate digest as Play reports it (base64url): from hex (console form) or base64. */
function digestB64url(d: string): string {
  const hex = d.replaceAll(':', '');
  return /^[0-9A-Fa-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex').toString('base64url') : d;
}

function loadPlayIntegrity(
  c: NonNullable<ServerConfig['playIntegrity']>,
  read: ReadFile,
): NativePlayIntegrity {
  const spki = verificationKey(
    readOrFail(read, c.verificationKeyFile, 'playIntegrity.verificationKeyFile'),
    c.verificationKeyFile,
  );
  const file = readOrFail(read, c.decryptionKeyFile, 'playIntegrity.decryptionKeyFile');
  const key = decodeBase64Bytes(file);
  file.fill(0);
  try {
    if (key?.length !== 32)
      throw bad(
        'playIntegrity.decryptionKeyFile',
        `${c.decryptionKeyFile} does not hold a base64 AES-256 key`,
      );
    const verify = playIntegrityVerifier({
      decryptionKey: key,
      verificationKeySpki: spki,
      packageName: c.packageName,
      certificateSha256Digests: c.certificateDigests.map(digestB64url),
      maxAgeMs: c.maxAgeS * 1000,
      requiredDeviceVerdict: c.requiredDeviceVerdict,
    });
    return { verify, packageName: c.packageName, keyFingerprint: sha256hex(spki) };
  } finally {
    key?.fill(0);
  }
}

/**
 * Builds the policy from configuration (reading every file now); the result gives the policy for
 * the port the backend actually listens on (the default phone origin names it).
 */
export function loadAttestationPolicy(
  config: AttestationSettings,
  read: ReadFile,
): (listenPort: number) => AttestationPolicy {
  const roots = loadAttestationRoots(config.attestationRoots, (path) => read(path).toString('utf8'));
  const appAttest = config.appAttest ? loadAppAttest(config.appAttest, read) : undefined;
  const playIntegrity = config.playIntegrity ? loadPlayIntegrity(config.playIntegrity, read) : undefined;
  const rpId = config.publicNames[0] ?? 'localhost';
  return (port) => ({
    rpId,
    origin: phoneAppOrigin(config, port),
    roots,
    ...(appAttest ? { appAttest } : {}),
    ...(playIntegrity ? { playIntegrity } : {}),
  });
}
