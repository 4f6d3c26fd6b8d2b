// The device key store, one of two kinds:
//   - a SecretStore: named secrets (the device's X25519 and Ed25519 private keys) kept outside the
//     daemon's state file — OS keyring and kernel keyring (os-keyring.ts), encrypted file
//     (file-store.ts, the Linux fallback); software protection. The device-key operations on top of
//     it are software-device-keys.ts.
//   - a HardwareKeyStore: the device's keys live in hardware and cannot be read out, so the store
//     does the operations itself — TPM 2.0 (tpm2/tpm2-store.ts): P-256 keys made inside the TPM.
// Either way the daemon uses the keys only through DeviceKeys (daemon/engine/device-keys.ts).
//
// Rules for every implementation and caller: secrets never appear in logs, errors or API answers;
// `get` returns a fresh secret buffer the caller wipes (`fill(0)`) as soon as it is done with it.
import type { DeviceKeyType, KeyProtection } from '../../core/api/device.js';
import type { SignedHeaders } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export type { KeyProtection };

/** What the daemon selects at start and holds: either kind of store. */
export type KeyStore = SecretStore | HardwareKeyStore;

export interface SecretStore {
  /** Short, stable identifier shown in `viworks status` (e.g. `file-aes-gcm`, `os-keyring`). */
  readonly name: string;
  /** Reported to the backend at enrollment as `key_protection`. */
  readonly protection: KeyProtection;
  /** Stores (or replaces) a secret. The store keeps its own copy; the caller still wipes `secret`. */
  put(name: string, secret: Uint8Array): Promise<void>;
  /**
   * The secret, or null when there is none: a secretBytes buffer (core/crypto/bytes.ts — off the JS
   * heap, so the GC never leaves copies the wipe cannot reach), which the caller owns and wipes.
   */
  get(name: string): Promise<Uint8Array | null>;
  /** Removes a secret; false when there was none. */
  delete(name: string): Promise<boolean>;
}

/** The device's public keys, as enrollment sends them. */
export interface NewDeviceKeys {
  readonly keyType: DeviceKeyType;
  /** X25519: 32 bytes; p256: the uncompressed point (65 bytes). */
  readonly hpkePublicKey: Uint8Array;
  /** Ed25519: 32 bytes; p256: the uncompressed point (65 bytes). */
  readonly signingPublicKey: Uint8Array;
  /** SHA-256 hex over both public keys: the key id of the enrollment request. */
  readonly fingerprint: string;
}

/** The device's two key pairs and everything done with them; nothing here returns a private key. */
export interface DeviceKeys {
  /** The store's name (`viworks status`). */
  readonly name: string;
  /** Reported to the backend at enrollment as `key_protection`. */
  readonly protection: KeyProtection;
  readonly keyType: DeviceKeyType;
  /** Makes both key pairs (replacing any), keeps the private halves; returns only public values. */
  create(): Promise<NewDeviceKeys>;
  /** Both keys are there and usable (`viworks doctor`); VIW_E_KEYSTORE naming what is not. */
  check(): Promise<void>;
  /** Signature headers for a backend request (core/crypto/request-signing.ts). */
  sign(keyId: string, method: string, path: string, body: Uint8Array): Promise<SignedHeaders>;
  /**
   * Opens a sealed envelope in this key type's suite (core/crypto/envelope.ts) and returns the
   * plaintext, which the caller owns and wipes.
   */
  openEnvelope(
    envelope: unknown,
    o: { readonly expectedDeviceId: string; readonly expectedSessionId: string },
  ): Promise<Uint8Array>;
  /** Removes both keys (no error when there are none). */
  delete(): Promise<void>;
}

/** A store whose keys never leave it: it is its own DeviceKeys. */
export interface HardwareKeyStore extends DeviceKeys {
  readonly kind: 'device-keys';
}

export function isHardwareKeyStore(store: KeyStore): store is HardwareKeyStore {
  return (store as Partial<HardwareKeyStore>).kind === 'device-keys';
}

/** The names the daemon uses. */
export const DEVICE_HPKE_KEY = 'device-hpke-x25519';
export const DEVICE_SIGNING_KEY = 'device-sign-ed25519';

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function assertSecretName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['secret name: not [a-z0-9-]{1,64}'] });
  }
}

/** A key-store failure; `step` names what failed, never the secret or a path inside it. */
export function keystoreError(step: string, cause?: unknown): ViworksError {
  return new ViworksError('VIW_E_KEYSTORE', {
    details: [step],
    ...(cause === undefined ? {} : { cause }),
  });
}
