// Per-device fwknop keys: an AES key (KEY_BASE64, 32 bytes) and an HMAC-SHA256 key
// (HMAC_KEY_BASE64, 64 bytes), made the first time a device needs them (its first bootstrap, or at
// enrollment if that calls ensureDeviceSpaKeys). The SPA username is the device's wire id (`d-…`).
// At rest they exist only sealed: AES-256-GCM under secrets.spaWrapKey, AAD = the device id, so a
// row moved to another device, or edited, does not open. Never logged; callers wipe what they get.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { wipe } from '../../../core/crypto/bytes.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db } from '../../data/client.js';

export const SPA_ENC_KEY_BYTES = 32;
export const SPA_HMAC_KEY_BYTES = 64;
const KEYS_BYTES = SPA_ENC_KEY_BYTES + SPA_HMAC_KEY_BYTES;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_KEY_VERSION = 1;

/** Two views of one buffer: wipe both (or either's `.buffer` range) when done. */
export interface SpaKeys {
  readonly encKey: Buffer;
  readonly hmacKey: Buffer;
}

export interface SpaKeyDeps {
  readonly db: Db;
  readonly secrets: { readonly spaWrapKey: Uint8Array };
}

/** The fwknop username for a device (the same string the gateway's access.conf stanza uses). */
export function spaUsername(deviceId: string): string {
  return toWireId('d', deviceId);
}

export function wipeSpaKeys(keys: SpaKeys | null | undefined): void {
  if (keys) wipe(keys.encKey, keys.hmacKey);
}

export function sealSpaKeys(wrapKey: Uint8Array, deviceId: string, keys: SpaKeys): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, nonce);
  cipher.setAAD(Buffer.from(deviceId, 'utf8'));
  const ct = Buffer.concat([cipher.update(keys.encKey), cipher.update(keys.hmacKey), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64');
}

export function openSpaKeys(wrapKey: Uint8Array, deviceId: string, sealed: string): SpaKeys {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length !== NONCE_BYTES + KEYS_BYTES + TAG_BYTES) throw corrupt();
  const decipher = createDecipheriv('aes-256-gcm', wrapKey, raw.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(deviceId, 'utf8'));
  decipher.setAuthTag(raw.subarray(NONCE_BYTES + KEYS_BYTES));
  const plain = decipher.update(raw.subarray(NONCE_BYTES, NONCE_BYTES + KEYS_BYTES));
  try {
    decipher.final();
  } catch {
    wipe(plain);
    throw corrupt();
  }
  return { encKey: plain.subarray(0, SPA_ENC_KEY_BYTES), hmacKey: plain.subarray(SPA_ENC_KEY_BYTES) };
}

/** The device's keys, or null when it has none yet. */
export async function readDeviceSpaKeys(deps: SpaKeyDeps, deviceId: string): Promise<SpaKeys | null> {
  const row = await deps.db.deviceSpaKey.findUnique({ where: { deviceId }, select: { sealed: true } });
  return row ? openSpaKeys(deps.secrets.spaWrapKey, deviceId, row.sealed) : null;
}

/** The device's keys, made and stored (sealed) on first call. Concurrent first calls agree on one set. */
export async function ensureDeviceSpaKeys(deps: SpaKeyDeps, deviceId: string): Promise<SpaKeys> {
  const existing = await readDeviceSpaKeys(deps, deviceId);
  if (existing) return existing;
  const plain = randomBytes(KEYS_BYTES);
  const fresh = { encKey: plain.subarray(0, SPA_ENC_KEY_BYTES), hmacKey: plain.subarray(SPA_ENC_KEY_BYTES) };
  try {
    const sealed = sealSpaKeys(deps.secrets.spaWrapKey, deviceId, fresh);
    await deps.db.deviceSpaKey.create({ data: { deviceId, sealed, keyVersion: WRAP_KEY_VERSION } });
    return fresh;
  } catch (err) {
    wipe(plain);
    if ((err as { code?: string }).code !== 'P2002') throw err;
    const winner = await readDeviceSpaKeys(deps, deviceId);
    if (!winner) throw err;
    return winner;
  }
}

/** Forgets a device's keys (device unbound); the gateway must drop its access.conf stanza too. */
export async function dropDeviceSpaKeys(db: Db, deviceId: string): Promise<void> {
  await db.deviceSpaKey.deleteMany({ where: { deviceId } });
}

function corrupt(): ViworksError {
  return new ViworksError('VIW_E_INTERNAL', { details: ['stored SPA keys do not open'] });
}
