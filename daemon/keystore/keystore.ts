// The device key store: named secrets (the device's X25519 and Ed25519 private keys) kept outside
// the daemon's state file. Implementations: OS keyring (os-keyring.ts), kernel keyring
// (kernel-keyring.ts, volatile), encrypted file (file-store.ts, the Linux fallback). A TPM2-backed
// store (protection 'hardware', non-exportable keys) is a later implementation of this interface;
// since TPM keys cannot be read out, it will add sign/open operations alongside get/put.
//
// Rules for every implementation and caller: secrets never appear in logs, errors or API answers;
// `get` returns a fresh buffer the caller wipes (`fill(0)`) as soon as it is done with it.
import { ViworksError } from '../../core/errors/viworks-error.js';

export type KeyProtection = 'hardware' | 'software';

export interface KeyStore {
  /** Short, stable identifier shown in `viworks status` (e.g. `file-aes-gcm`, `os-keyring`). */
  readonly name: string;
  /** Reported to the backend at enrollment as `key_protection`. */
  readonly protection: KeyProtection;
  /** Stores (or replaces) a secret. The store keeps its own copy; the caller still wipes `secret`. */
  put(name: string, secret: Uint8Array): Promise<void>;
  /** The secret, or null when there is none. The caller owns and wipes the returned buffer. */
  get(name: string): Promise<Uint8Array | null>;
  /** Removes a secret; false when there was none. */
  delete(name: string): Promise<boolean>;
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
