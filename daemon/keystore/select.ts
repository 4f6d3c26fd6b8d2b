// Which key store the daemon uses, decided once at start. `auto`:
//   0. a device is enrolled: the store its keys are in (device.json key_store) — keys never move,
//      so an upgrade or a TPM appearing later does not strand an enrolled device;
//   1. TPM 2.0 (protection tpm2, non-exportable P-256 keys), when one is reachable: the configured TCTI
//      (--tpm2-tcti / VIWORKSD_TPM2_TCTI, e.g. swtpm:host=127.0.0.1,port=2321) or /dev/tpmrm0, with
//      tpm2-tools installed and a primary key that can be made;
//   2. the OS keyring, if a probe round-trips — Keychain / DPAPI / Linux Secret Service (software);
//   3. the encrypted file under the state dir — software protection (file-store.ts).
// Every step that is passed over says why in the log, and the chosen store's name and protection
// show in `viworks status`. `tpm2`, `os-keyring`, `kernel-keyring` (volatile) and `file` force one
// store (`--keystore`, VIWORKSD_KEYSTORE); a forced store that does not work stops the start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { FileKeyStore } from './file-store.js';
import type { KeyStore, SecretStore } from './keystore.js';
import { KernelKeyringStore, OsKeyringStore, probeKeyStore } from './os-keyring.js';
import { TPM2_STORE_NAME, Tpm2KeyStore } from './tpm2/tpm2-store.js';
import { DEFAULT_TCTI, parseTcti, tctiDevice } from './tpm2/tpm2-tools.js';

export const KEYSTORE_CHOICES = ['auto', 'tpm2', 'os-keyring', 'kernel-keyring', 'file'] as const;
export type KeyStoreChoice = (typeof KEYSTORE_CHOICES)[number];

export interface SelectKeyStoreOptions {
  readonly stateDir: string;
  readonly choice?: KeyStoreChoice;
  readonly machineIdPaths?: readonly string[];
  /** The TPM's TCTI when configured; otherwise device:/dev/tpmrm0 if that device exists. */
  readonly tpm2Tcti?: string;
  /** Where tpm2-tools are (tests); default /usr/bin. */
  readonly tpm2ToolsDir?: string;
  /** The enrolled device's key store name (device.json key_store), when there is one. */
  readonly enrolledStore?: string;
  /** One line per decision (the daemon's info log). */
  readonly log?: (line: string) => void;
}

export async function selectKeyStore(o: SelectKeyStoreOptions): Promise<KeyStore> {
  const say = o.log ?? (() => undefined);
  const file = () =>
    new FileKeyStore({
      dir: join(o.stateDir, 'keys'),
      ...(o.machineIdPaths ? { machineIdPaths: o.machineIdPaths } : {}),
    });
  const tpm2 = (tcti: string) =>
    new Tpm2KeyStore({
      dir: join(o.stateDir, 'tpm2'),
      tcti,
      ...(o.tpm2ToolsDir ? { toolsDir: o.tpm2ToolsDir } : {}),
    });
  const tcti = o.tpm2Tcti === undefined || o.tpm2Tcti === '' ? undefined : parseTcti(o.tpm2Tcti);
  switch (o.choice ?? 'auto') {
    case 'file':
      return chosen(file(), say, 'forced');
    case 'kernel-keyring':
      return chosen(await required(new KernelKeyringStore()), say, 'forced');
    case 'os-keyring':
      return chosen(await required(new OsKeyringStore()), say, 'forced');
    case 'tpm2': {
      const store = tpm2(tcti ?? DEFAULT_TCTI);
      const why = await store.probe();
      if (why !== null) {
        throw new ViworksError('VIW_E_KEYSTORE', { details: [`tpm2: not usable (${why})`] });
      }
      return chosen(store, say, `forced, TCTI ${store.tools.tcti}`);
    }
    default:
      return auto(o, say, file, tpm2, tcti);
  }
}

async function auto(
  o: SelectKeyStoreOptions,
  say: (line: string) => void,
  file: () => FileKeyStore,
  tpm2: (tcti: string) => Tpm2KeyStore,
  tcti: string | undefined,
): Promise<KeyStore> {
  // 0. The enrolled device's keys are where they are.
  switch (o.enrolledStore) {
    case TPM2_STORE_NAME: {
      const store = tpm2(tcti ?? DEFAULT_TCTI);
      const why = await store.probe();
      // Kept even when the TPM does not answer now: the keys are nowhere else; doctor and every
      // use report VIW_E_KEYSTORE until it does (or the device is enrolled again).
      if (why !== null)
        say(`key store: tpm2 holds the enrolled device's keys but is not usable now (${why})`);
      return chosen(store, say, 'the enrolled device');
    }
    case 'os-keyring':
      return chosen(new OsKeyringStore(), say, 'the enrolled device');
    case 'kernel-keyring':
      return chosen(new KernelKeyringStore(), say, 'the enrolled device');
    case 'file-aes-gcm':
      return chosen(file(), say, 'the enrolled device');
    default:
      break;
  }
  // 1. TPM 2.0: a configured TCTI, or the kernel's resource manager device.
  const candidate = tcti ?? DEFAULT_TCTI;
  const device = tctiDevice(candidate);
  if (tcti === undefined && device && !existsSync(device)) {
    say(`key store: no TPM 2.0 (${device} not present)`);
  } else {
    const store = tpm2(candidate);
    const why = await store.probe();
    if (why === null) return chosen(store, say, `TCTI ${candidate}`);
    say(`key store: TPM 2.0 at ${candidate} not usable (${why})`);
  }
  // 2. The OS keyring, 3. the encrypted file.
  const os = new OsKeyringStore();
  if (await probeKeyStore(os)) return chosen(os, say, 'no TPM');
  say('key store: no usable OS keyring');
  return chosen(file(), say, 'no TPM, no OS keyring');
}

function chosen<S extends KeyStore>(store: S, say: (line: string) => void, why: string): S {
  say(`key store: ${store.name} (${store.protection}; ${why})`);
  return store;
}

async function required(store: SecretStore): Promise<SecretStore> {
  // Twice: the kernel keyring refuses the first write of a process (see os-keyring.ts).
  if ((await probeKeyStore(store)) || (await probeKeyStore(store))) return store;
  throw new ViworksError('VIW_E_KEYSTORE', { details: [`${store.name}: not usable on this machine`] });
}

export function parseKeyStoreChoice(value: string | undefined): KeyStoreChoice {
  if (value === undefined || value === '') return 'auto';
  if ((KEYSTORE_CHOICES as readonly string[]).includes(value)) return value as KeyStoreChoice;
  throw new ViworksError('VIW_E_CONFIG', { details: [`keystore: one of ${KEYSTORE_CHOICES.join(', ')}`] });
}
