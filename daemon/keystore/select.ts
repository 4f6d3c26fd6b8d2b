// Which key store the daemon uses, decided once at start:
//   1. TPM2 (hardware, non-exportable)       — later; the KeyStore interface is ready for it
//   2. the OS keyring, if a probe round-trips — Keychain / DPAPI / Linux Secret Service
//   3. the encrypted file under the state dir — software protection (file-store.ts)
// `kernel-keyring` (volatile) and `file` can be forced with `VIWORKSD_KEYSTORE` for development.
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { FileKeyStore } from './file-store.js';
import type { KeyStore } from './keystore.js';
import { KernelKeyringStore, OsKeyringStore, probeKeyStore } from './os-keyring.js';

export const KEYSTORE_CHOICES = ['auto', 'os-keyring', 'kernel-keyring', 'file'] as const;
export type KeyStoreChoice = (typeof KEYSTORE_CHOICES)[number];

export interface SelectKeyStoreOptions {
  readonly stateDir: string;
  readonly choice?: KeyStoreChoice;
  readonly machineIdPaths?: readonly string[];
}

export async function selectKeyStore(o: SelectKeyStoreOptions): Promise<KeyStore> {
  const file = () =>
    new FileKeyStore({
      dir: join(o.stateDir, 'keys'),
      ...(o.machineIdPaths ? { machineIdPaths: o.machineIdPaths } : {}),
    });
  switch (o.choice ?? 'auto') {
    case 'file':
      return file();
    case 'kernel-keyring':
      return required(new KernelKeyringStore());
    case 'os-keyring':
      return required(new OsKeyringStore());
    default: {
      const os = new OsKeyringStore();
      return (await probeKeyStore(os)) ? os : file();
    }
  }
}

async function required(store: KeyStore): Promise<KeyStore> {
  // Twice: the kernel keyring refuses the first write of a process (see os-keyring.ts).
  if ((await probeKeyStore(store)) || (await probeKeyStore(store))) return store;
  throw new ViworksError('VIW_E_KEYSTORE', { details: [`${store.name}: not usable on this machine`] });
}

export function parseKeyStoreChoice(value: string | undefined): KeyStoreChoice {
  if (value === undefined || value === '') return 'auto';
  if ((KEYSTORE_CHOICES as readonly string[]).includes(value)) return value as KeyStoreChoice;
  throw new ViworksError('VIW_E_CONFIG', { details: [`keystore: one of ${KEYSTORE_CHOICES.join(', ')}`] });
}
