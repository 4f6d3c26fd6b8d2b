// Administrators' TOTP secrets at rest: AES-256-GCM under the server's admin TOTP key, with the
// user id in the additional data so a sealed secret copied onto another account does not open.
// Stored form: "v1." + base64url(nonce 12 ‖ ciphertext ‖ tag 16).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const aad = (userId: string) => Buffer.from(`viworks-admin-totp-${VERSION}:${userId}`, 'utf8');

export function sealTotpSecret(key: Uint8Array, userId: string, secret: Uint8Array): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(userId));
  const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
  return `${VERSION}.${Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64url')}`;
}

/** Opens a sealed secret; throws on any tampering, wrong key or wrong user. The caller wipes it. */
export function openTotpSecret(key: Uint8Array, userId: string, sealed: string): Buffer {
  const [version, body] = sealed.split('.');
  if (version !== VERSION || !body) throw new Error('unknown TOTP seal format');
  const raw = Buffer.from(body, 'base64url');
  if (raw.length < 12 + 16 + 1) throw new Error('sealed TOTP secret too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(aad(userId));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
}
