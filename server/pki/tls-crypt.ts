// The OpenVPN tls-crypt key: an "OpenVPN Static key V1" file, 2048 random bits written as 16 lines
// of 32 lower-case hex digits between the BEGIN/END lines (what `openvpn --genkey tls-crypt` writes,
// minus its comment header, and exactly what core/bootstrap/payload.ts accepts).
import { randomBytes } from 'node:crypto';
import { wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { readTextIfExists, writePrivateFile } from '../fs/private-files.js';

const BEGIN = '-----BEGIN OpenVPN Static key V1-----';
const END = '-----END OpenVPN Static key V1-----';
const KEY_RE = new RegExp(`^${BEGIN}\\n([0-9a-f]{32}\\n){16}${END}\\n$`);

export function generateTlsCryptKey(): string {
  const raw = randomBytes(256);
  try {
    const lines: string[] = [];
    for (let i = 0; i < 16; i++) lines.push(raw.subarray(i * 16, i * 16 + 16).toString('hex'));
    return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
  } finally {
    wipe(raw);
  }
}

export function isTlsCryptKey(text: string): boolean {
  return KEY_RE.test(text);
}

/** Reads the key file, creating it (0600) on first use; refuses a file that is not exactly one key. */
export function loadOrCreateTlsCryptKey(path: string): string {
  const existing = readTextIfExists(path);
  if (existing !== undefined) {
    if (!isTlsCryptKey(existing)) {
      throw new ViworksError('VIW_E_CONFIG', { details: [`${path}: not an OpenVPN Static key V1`] });
    }
    return existing;
  }
  const key = generateTlsCryptKey();
  writePrivateFile(path, key);
  return key;
}
