// The enrolled device, persisted in the daemon's state directory as `device.json` (0600, directory
// 0700, written atomically). Non-secret only: ids, the backend's URL, pins and CA, the username and
// where the keys are. The private keys themselves are in the KeyStore, never here.

import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { closed, PinSetSchema, Sha256Hex, Username, Uuid } from '../../core/api/common.js';
import { KEY_PROTECTIONS } from '../../core/api/device.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { strictValidator } from '../../core/schema/strict.js';
import type { DeviceInfo } from './status.js';

export const DeviceRecordSchema = Type.Object(
  {
    v: Type.Literal(1),
    device_id: Uuid,
    fingerprint: Sha256Hex,
    status: Type.Enum(['active', 'pending_approval', 'revoked']),
    backend_url: Type.String({ maxLength: 2048, pattern: '^https://' }),
    backend_pins: PinSetSchema,
    ca_pem: Type.String({ maxLength: 16384 }),
    username: Username,
    key_protection: Type.Enum(KEY_PROTECTIONS),
    key_store: Type.String({ maxLength: 64 }),
    enrolled_at: Type.String({ maxLength: 40 }),
  },
  closed,
);
export type DeviceRecord = Static<typeof DeviceRecordSchema>;

const validator = strictValidator(DeviceRecordSchema);
const FILE = 'device.json';

export async function loadDeviceRecord(stateDir: string): Promise<DeviceRecord | null> {
  const path = join(stateDir, FILE);
  let text: string;
  try {
    const st = await fs.lstat(path);
    if (!st.isFile()) throw new ViworksError('VIW_E_CONFIG', { details: [`${FILE}: not a regular file`] });
    if ((st.mode & 0o077) !== 0) {
      throw new ViworksError('VIW_E_CONFIG', { details: [`${FILE}: permissions too open (want 0600)`] });
    }
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ViworksError('VIW_E_CONFIG', { details: [`${FILE}: not JSON`] });
  }
  return validator.parse(value, 'VIW_E_CONFIG');
}

export async function saveDeviceRecord(stateDir: string, record: DeviceRecord): Promise<void> {
  validator.parse(record, 'VIW_E_INTERNAL');
  await ensureStateDir(stateDir);
  const path = join(stateDir, FILE);
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
}

export async function removeDeviceRecord(stateDir: string): Promise<void> {
  await fs.rm(join(stateDir, FILE), { force: true });
}

/** The state directory: created 0700; refused when group or others can reach into it. */
export async function ensureStateDir(stateDir: string): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const st = await fs.lstat(stateDir);
  if (!st.isDirectory()) throw new ViworksError('VIW_E_CONFIG', { details: ['state dir: not a directory'] });
  if ((st.mode & 0o077) !== 0) await fs.chmod(stateDir, 0o700);
}

export function deviceInfo(r: DeviceRecord): DeviceInfo {
  return {
    device_id: r.device_id,
    fingerprint: r.fingerprint,
    status: r.status,
    key_protection: r.key_protection,
    key_store: r.key_store,
    backend_url: r.backend_url,
    username: r.username,
  };
}
