// The device's two key pairs and the only things done with them: create (enrollment), sign a
// backend request, open the sealed bootstrap, check and delete. The engine calls these; they
// delegate to the store's DeviceKeys: software stores through software-device-keys.ts (X25519 +
// Ed25519, loaded, used and wiped), a TPM 2.0 store itself (P-256 keys that never leave the TPM).
import type { Signer } from '../../core/backendclient/backend-client.js';
import {
  type OpenedBootstrap,
  openBootstrapPlaintext,
  wipeBootstrapSecrets,
} from '../../core/bootstrap/opened.js';
import { wipe } from '../../core/crypto/bytes.js';
import type { SignedHeaders } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { type DeviceKeys, isHardwareKeyStore, type KeyStore } from '../keystore/keystore.js';
import { SecretStoreDeviceKeys } from '../keystore/software-device-keys.js';
import { releaseNativeCopiesSoon } from './native-copies.js';

export type { NewDeviceKeys } from '../keystore/keystore.js';

/** The device-key operations of `store`. */
export function deviceKeysOf(store: KeyStore): DeviceKeys {
  return isHardwareKeyStore(store) ? store : new SecretStoreDeviceKeys(store);
}

/** Generates both key pairs in the store; returns only public values (and the key type). */
export function createDeviceKeys(store: KeyStore) {
  return deviceKeysOf(store).create();
}

export async function deleteDeviceKeys(store: KeyStore): Promise<void> {
  await deviceKeysOf(store).delete();
}

/**
 * Both private keys are in the store and usable (`viworks doctor`); nothing is returned. Throws
 * VIW_E_KEYSTORE naming what is missing.
 */
export async function checkDeviceKeys(store: KeyStore): Promise<void> {
  await deviceKeysOf(store).check();
}

/** A Signer for the backend client: key id = the fingerprint (enrollment) or the device id (after). */
export function deviceSigner(store: KeyStore, keyId: string): Signer {
  const keys = deviceKeysOf(store);
  return async (method: string, path: string, body: Uint8Array): Promise<SignedHeaders> => {
    try {
      return await keys.sign(keyId, method, path, body);
    } finally {
      // A software key was parsed by OpenSSL to sign (keystore/ed25519-seed.ts); that copy is
      // cleared only when V8 collects its wrapper. A TPM key never enters the process.
      if (store.protection !== 'tpm2') releaseNativeCopiesSoon();
    }
  };
}

/**
 * Opens a sealed bootstrap with the device's key (X25519 in software, P-256 in a TPM), in memory:
 * the plaintext is wiped as soon as it is parsed and validated. The
 * secrets come back as Buffers (core/bootstrap/opened.ts), never as strings; the caller owns them.
 */
export async function openBootstrap(
  store: KeyStore,
  envelope: unknown,
  expectedDeviceId: string,
  expectedSessionId: string,
): Promise<OpenedBootstrap> {
  const plaintext = await deviceKeysOf(store).openEnvelope(envelope, { expectedDeviceId, expectedSessionId });
  try {
    const opened = openBootstrapPlaintext(plaintext);
    if (opened.payload.device_id !== expectedDeviceId || opened.payload.session_id !== expectedSessionId) {
      wipeBootstrapSecrets(opened.secrets);
      throw new ViworksError('VIW_E_BOOTSTRAP_INVALID', {
        details: ['payload names another device or session'],
      });
    }
    return opened;
  } finally {
    wipe(plaintext);
  }
}
