// Key stores on @napi-rs/keyring: the OS keyring (macOS Keychain, Windows Credential Manager /
// DPAPI, Linux Secret Service) and the Linux kernel keyring (keyutils).
//
// On Linux the store is always pinned explicitly: the library's default silently falls back from
// the Secret Service to the kernel keyring, which lives in kernel memory and is gone after a
// reboot — a device key put there would be lost and the device would need re-enrolling. So the
// persistent `OsKeyringStore` requires the Secret Service, and the volatile kernel keyring is a
// separate store (`KernelKeyringStore`) that is never chosen for device keys automatically.
// Both are software protection: the OS guards the secret, but it can be read back out.

import { randomBytes } from 'node:crypto';
import type { Entry, EntryOptions } from '@napi-rs/keyring';
import { secretBytes, wipe } from '../../core/crypto/bytes.js';
import { assertSecretName, keystoreError, type SecretStore } from './keystore.js';

export const KEYRING_SERVICE = 'viworksd';
/** The device's secrets are 32 bytes; anything far larger in our entry is not ours to copy. */
const MAX_SECRET_BYTES = 4096;

/**
 * The native binding, loaded on first use: a daemon on the TPM or the file store never maps it
 * (measured: importing it costs the idle daemon several MiB of RSS for a library it does not use).
 */
let binding: Promise<typeof import('@napi-rs/keyring')> | null = null;
const loadKeyring = () => {
  binding ??= import('@napi-rs/keyring');
  return binding;
};

class NapiKeyringStore implements SecretStore {
  readonly protection = 'software' as const;

  constructor(
    readonly name: string,
    private readonly options: EntryOptions | undefined,
    private readonly service: string,
  ) {}

  private async entry(name: string): Promise<Entry> {
    assertSecretName(name);
    try {
      const { Entry } = await loadKeyring();
      return new Entry(this.service, name, this.options);
    } catch (err) {
      throw keystoreError(`${this.name}: unavailable`, err);
    }
  }

  async put(name: string, secret: Uint8Array): Promise<void> {
    const entry = await this.entry(name);
    try {
      entry.setSecret(secret);
    } catch (err) {
      throw keystoreError(`${this.name}: store failed`, err);
    }
  }

  async get(name: string): Promise<Uint8Array | null> {
    const entry = await this.entry(name);
    let raw: number[] | null;
    try {
      raw = entry.getSecret();
    } catch (err) {
      throw keystoreError(`${this.name}: read failed`, err);
    }
    if (raw === null) return null;
    // The binding hands the secret over only as a JS array of numbers: it is copied into a secret
    // buffer (off the JS heap: the copy the caller uses and wipes) and zeroed at once. For these
    // few statements the array is on the heap, where a GC could still leave a copy of it.
    try {
      if (raw.length > MAX_SECRET_BYTES) throw keystoreError(`${this.name}: secret too large`);
      const out = secretBytes(raw.length);
      out.set(raw);
      return out;
    } finally {
      raw.fill(0);
    }
  }

  async delete(name: string): Promise<boolean> {
    const entry = await this.entry(name);
    try {
      return entry.deleteCredential();
    } catch (err) {
      throw keystoreError(`${this.name}: delete failed`, err);
    }
  }
}

/** The persistent OS keyring (on Linux: the Secret Service only, never the volatile fallback). */
export class OsKeyringStore extends NapiKeyringStore {
  constructor(service: string = KEYRING_SERVICE) {
    super(
      'os-keyring',
      process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined,
      service,
    );
  }
}

/**
 * The Linux kernel keyring (keyutils): kept in kernel memory, never swapped to a file, but lost at
 * reboot. Chosen for device keys only when asked for explicitly. Observed with @napi-rs/keyring
 * 2.1.2 (Debian 12, root, no session keyring set up by a login): the FIRST write in a process fails
 * with AccessDenied after creating the key (an orphan left in the kernel), later writes work. So
 * it is not a clean store here; probeKeyStore is run twice before it is used.
 */
export class KernelKeyringStore extends NapiKeyringStore {
  constructor(service: string = KEYRING_SERVICE) {
    super('kernel-keyring', { linux: { store: 'keyutils' } }, service);
  }
}

/** True when `store` can store, read back and delete a secret here (one probe, at start). */
export async function probeKeyStore(store: SecretStore): Promise<boolean> {
  const name = `probe-${randomBytes(6).toString('hex')}`;
  const value = randomBytes(16);
  try {
    await store.put(name, value);
    const back = await store.get(name);
    const ok = back !== null && Buffer.from(back).equals(value);
    wipe(back);
    await store.delete(name);
    return ok;
  } catch {
    return false;
  } finally {
    wipe(value);
  }
}
