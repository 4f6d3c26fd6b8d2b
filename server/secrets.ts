// Server-side secrets that are not certificate keys: the OTP HMAC key, the key that turns user
// ids into pseudonyms for audit events, and the key that seals per-device SPA keys at rest.
// Created on first start in <dataDir>/secrets (0700/0600); a key missing from an older file is added.
// Instances that scale out together share the data directory, and so these keys.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readTextIfExists, writePrivateFile } from './fs/private-files.js';

export interface ServerSecrets {
  readonly otpHmacKey: Buffer;
  readonly pseudonymKey: Buffer;
  /** AES-256-GCM key sealing per-device SPA keys at rest (server/services/device/spa-keys.ts). */
  readonly spaWrapKey: Buffer;
  /** AES-256-GCM key sealing administrators' TOTP secrets at rest (server/services/admin/totp-seal.ts). */
  readonly adminTotpKey: Buffer;
}

const NAMES = ['otpHmacKey', 'pseudonymKey', 'spaWrapKey', 'adminTotpKey'] as const;

export function loadOrCreateSecrets(dataDir: string): ServerSecrets {
  const path = join(dataDir, 'secrets', 'server-secrets.json');
  const existing = readTextIfExists(path);
  const stored: Record<string, string> = existing ? (JSON.parse(existing) as Record<string, string>) : {};
  let changed = false;
  for (const name of NAMES) {
    if (typeof stored[name] !== 'string' || Buffer.from(stored[name], 'base64').length !== 32) {
      stored[name] = randomBytes(32).toString('base64');
      changed = true;
    }
  }
  if (changed) writePrivateFile(path, `${JSON.stringify(stored)}\n`);
  return {
    otpHmacKey: Buffer.from(stored.otpHmacKey!, 'base64'),
    pseudonymKey: Buffer.from(stored.pseudonymKey!, 'base64'),
    spaWrapKey: Buffer.from(stored.spaWrapKey!, 'base64'),
    adminTotpKey: Buffer.from(stored.adminTotpKey!, 'base64'),
  };
}
