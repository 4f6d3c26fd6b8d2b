// The SIEM shipping key: the Ed25519 key that signs every HTTPS bulk body (body-signature.ts). Its
// private half is <dataDir>/secrets/siem-shipping.key (PKCS#8 PEM, 0600, made on first use), its
// public half is published at <dataDir>/audit/siem-shipping.pub.pem for the SIEM side to verify with.
// It is not the audit signing key on purpose: that key (possibly inside the HSM) vouches for the
// content of the trail through signed manifests; this one only says "this body came from our
// backend", is used on every request, and a leak of it forges no manifest.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { ensurePrivateDir, writePrivateFile } from '../../../fs/private-files.js';
import { keyIdOf } from '../signer.js';
import type { BodySigningKey } from './body-signature.js';

export interface ShippingKey extends BodySigningKey {
  readonly publicKey: KeyObject;
  /** SPKI PEM, as published beside the audit stream. */
  readonly publicKeyPem: string;
}

export function shippingKeyPaths(dataDir: string) {
  return {
    key: join(dataDir, 'secrets', 'siem-shipping.key'),
    publicKey: join(dataDir, 'audit', 'siem-shipping.pub.pem'),
  };
}

/** Writes a new key unless one exists; link() refuses to replace, so two processes agree on one key. */
function createIfAbsent(path: string): void {
  if (existsSync(path)) return;
  const dir = dirname(path);
  ensurePrivateDir(dir);
  const pem = Buffer.from(
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    'utf8',
  );
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, pem, { mode: 0o600, flag: 'wx' });
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
    pem.fill(0);
  }
}

function readPrivateKey(path: string): KeyObject {
  // Like ssh: a key others can read is not a key we trust to be ours alone.
  if ((statSync(path).mode & 0o077) !== 0)
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`SIEM shipping key readable by others (chmod 600): ${path}`],
    });
  const bytes = readFileSync(path);
  try {
    const key = createPrivateKey({ key: bytes, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return key;
  } catch {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`SIEM shipping key is not an Ed25519 PKCS#8 key: ${path}`],
    });
  } finally {
    bytes.fill(0);
  }
}

/** Loads the key, creating it on first use, and (re)publishes its public half. */
export function loadOrCreateShippingKey(dataDir: string): ShippingKey {
  const paths = shippingKeyPaths(dataDir);
  createIfAbsent(paths.key);
  const privateKey = readPrivateKey(paths.key);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // Derived from the private key on every load, so the published file cannot disagree with it.
  ensurePrivateDir(dirname(paths.publicKey));
  writePrivateFile(paths.publicKey, publicKeyPem);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    publicKeyPem,
    sign: (data) => sign(null, data, privateKey),
  };
}
