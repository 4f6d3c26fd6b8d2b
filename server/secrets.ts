// Server-side secrets that are not certificate keys: the OTP HMAC key and the key that turns user
// ids into pseudonyms for audit events. Created on first start in <dataDir>/secrets (0700/0600).
// Instances that scale out together share the data directory, and so these keys.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readTextIfExists, writePrivateFile } from './fs/private-files.js';

export interface ServerSecrets {
  readonly otpHmacKey: Buffer;
  readonly pseudonymKey: Buffer;
}

const NAMES = ['otpHmacKey', 'pseudonymKey'] as const;

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
  };
}
