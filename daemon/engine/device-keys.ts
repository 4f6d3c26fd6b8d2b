// The device's two private keys and the only three things done with them: create (enrollment),
// sign a backend request (Ed25519), open the sealed bootstrap (X25519 HPKE). Each use loads the
// key from the KeyStore, uses it, and wipes every buffer that held it; keys never leave this file.
import nacl from 'tweetnacl';
import type { Signer } from '../../core/backendclient/backend-client.js';
import { type BootstrapPayload, parseBootstrap } from '../../core/bootstrap/payload.js';
import { wipe } from '../../core/crypto/bytes.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair, importPrivateKey } from '../../core/crypto/hpke.js';
import {
  generateSigningKeyPair,
  type SignedHeaders,
  signRequest,
} from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { DEVICE_HPKE_KEY, DEVICE_SIGNING_KEY, type KeyStore } from '../keystore/keystore.js';

export interface NewDeviceKeys {
  readonly hpkePublicKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
  /** SHA-256 hex over both public keys: the key id of the enrollment request. */
  readonly fingerprint: string;
}

/** Generates both key pairs and stores the private halves; returns only public values. */
export async function createDeviceKeys(store: KeyStore): Promise<NewDeviceKeys> {
  const hpke = await generateDeviceKeyPair();
  const signing = generateSigningKeyPair();
  // tweetnacl's secret key is seed ‖ public key: only the 32-byte seed is stored.
  const seed = signing.secretKey.slice(0, 32);
  try {
    await store.put(DEVICE_HPKE_KEY, hpke.privateKey);
    await store.put(DEVICE_SIGNING_KEY, seed);
  } finally {
    wipe(hpke.privateKey, signing.secretKey, seed);
  }
  return {
    hpkePublicKey: hpke.publicKey,
    signingPublicKey: signing.publicKey,
    fingerprint: deviceFingerprint(hpke.publicKey, signing.publicKey),
  };
}

export async function deleteDeviceKeys(store: KeyStore): Promise<void> {
  await store.delete(DEVICE_HPKE_KEY);
  await store.delete(DEVICE_SIGNING_KEY);
}

/**
 * Both private keys are in the store with their lengths (`viworks doctor`): each is loaded and
 * wiped at once, nothing is returned. Throws VIW_E_KEYSTORE naming the missing key.
 */
export async function checkDeviceKeys(store: KeyStore): Promise<void> {
  wipe(await required(store, DEVICE_HPKE_KEY, 32));
  wipe(await required(store, DEVICE_SIGNING_KEY, 32));
}

async function required(store: KeyStore, name: string, length: number): Promise<Uint8Array> {
  const key = await store.get(name);
  if (key === null) throw new ViworksError('VIW_E_KEYSTORE', { details: [`${name}: missing`] });
  if (key.length !== length) {
    wipe(key);
    throw new ViworksError('VIW_E_KEYSTORE', { details: [`${name}: wrong length`] });
  }
  return key;
}

/** A Signer for the backend client: key id = the fingerprint (enrollment) or the device id (after). */
export function deviceSigner(store: KeyStore, keyId: string): Signer {
  return async (method: string, path: string, body: Uint8Array): Promise<SignedHeaders> => {
    const seed = await required(store, DEVICE_SIGNING_KEY, 32);
    const pair = nacl.sign.keyPair.fromSeed(seed);
    try {
      return signRequest(keyId, pair.secretKey, method, path, body);
    } finally {
      wipe(seed, pair.secretKey);
    }
  };
}

/**
 * Opens a sealed bootstrap with the device's X25519 key, in memory: the raw key is wiped as soon as
 * it is imported (non-extractable), the plaintext as soon as it is parsed and validated.
 */
export async function openBootstrap(
  store: KeyStore,
  envelope: unknown,
  expectedDeviceId: string,
  expectedSessionId: string,
): Promise<BootstrapPayload> {
  const raw = await required(store, DEVICE_HPKE_KEY, 32);
  let recipientKey: CryptoKeyPair;
  try {
    recipientKey = await importPrivateKey(raw);
  } finally {
    wipe(raw);
  }
  const plaintext = await openEnvelope(envelope, { recipientKey, expectedDeviceId, expectedSessionId });
  try {
    const payload = parseBootstrap(plaintext);
    if (payload.device_id !== expectedDeviceId || payload.session_id !== expectedSessionId) {
      throw new ViworksError('VIW_E_BOOTSTRAP_INVALID', {
        details: ['payload names another device or session'],
      });
    }
    return payload;
  } finally {
    wipe(plaintext);
  }
}
