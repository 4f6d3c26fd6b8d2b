// The simulated phone's state file: its binding and its Ed25519 key seed. Written atomically with
// mode 0600 (temp file + rename); refused when readable by group or others, like ssh does.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import nacl from 'tweetnacl';
import { type Static, Type } from 'typebox';
import { closed, Key32, Uuid } from '../../core/api/common.js';
import type { Ed25519KeyPair } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { strictValidator } from '../../core/schema/strict.js';

export const PhoneStateSchema = Type.Object(
  {
    v: Type.Literal(1),
    server: Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://' }),
    mobile_device_id: Uuid,
    platform: Type.Enum(['android', 'ios']),
    public_key: Key32,
    /** The 32-byte Ed25519 seed, base64url. Never printed. */
    secret_seed: Key32,
    bound_at: Type.String({ maxLength: 30 }),
    /** The WebAuthn credential of an attested binding (its key never printed) and its origin. */
    credential: Type.Optional(
      Type.Object(
        {
          id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$' }),
          key_pem: Type.String({ minLength: 1, maxLength: 4096 }),
          counter: Type.Integer({ minimum: 0 }),
          origin: Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://' }),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type PhoneState = Static<typeof PhoneStateSchema>;
const validator = strictValidator(PhoneStateSchema);

export function saveState(path: string, state: PhoneState): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

export function stateExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function loadState(path: string): PhoneState {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new ViworksError('VIW_E_KEYSTORE', {
        details: ['state file must not be readable by others (chmod 600)'],
      });
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['state file not readable; bind first'] });
  }
  try {
    return validator.parse(JSON.parse(text), 'VIW_E_KEYSTORE');
  } catch {
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['state file is damaged; bind again'] });
  }
}

export function keysOf(state: PhoneState): Ed25519KeyPair {
  return nacl.sign.keyPair.fromSeed(new Uint8Array(Buffer.from(state.secret_seed, 'base64url')));
}
