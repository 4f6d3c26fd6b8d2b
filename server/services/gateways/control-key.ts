// The backend's SSH control key (docs/architecture.md#ssh-control-plane): one Ed25519 key under
// <dataDir>/pki/gateway-control/ (0700 dir, 0600 files), made on first start. Its public line goes
// into each node's authorized_keys behind `command="viworks-gw …",restrict`, so the key can do
// nothing but run the allowlisted verbs. The private key never leaves this directory and the
// process; the public line is what `GET /admin/gateways/control-key` and
// `viworks-server gateway-control-key` print.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wipe } from '../../../core/crypto/bytes.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import {
  ed25519PublicOf,
  generateEd25519,
  opensshPrivateKey,
  parseOpensshPrivateKey,
  publicKeyLine,
} from './openssh-keys.js';

export const CONTROL_KEY_COMMENT = 'viworks-backend';
const KEY_FILE = 'control_ed25519';

export interface ControlKey {
  /** `ssh-ed25519 AAAA… viworks-backend`: not secret. */
  readonly publicKeyLine: string;
  /** The private key file's bytes (OpenSSH format, what ssh2 parses). Read per use, never cached. */
  readPrivateKey(): Buffer;
}

export function controlKeyDir(dataDir: string): string {
  return join(dataDir, 'pki', 'gateway-control');
}

/** Loads the key, creating it on first call; a file that does not parse is a configuration error. */
export function loadOrCreateControlKey(dataDir: string): ControlKey {
  const dir = controlKeyDir(dataDir);
  ensurePrivateDir(dir);
  const path = join(dir, KEY_FILE);
  try {
    const pair = generateEd25519();
    const text = opensshPrivateKey(pair, CONTROL_KEY_COMMENT);
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      // Written aside, then hard-linked into place: link() fails with EEXIST instead of replacing, so
      // two processes starting together (server + `gateway-control-key`) agree on one key, and a
      // reader never sees half a file.
      writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      linkSync(tmp, path);
      writeFileSync(`${path}.pub`, `${publicKeyLine(pair.publicKey, CONTROL_KEY_COMMENT)}\n`, {
        mode: 0o600,
      });
    } finally {
      rmSync(tmp, { force: true });
      wipe(pair.seed, text);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { publicKeyLine: checkedPublicLine(path), readPrivateKey: () => readFileSync(path) };
}

/** The public line, derived from the private file (the .pub copy is for operators, not trusted). */
function checkedPublicLine(path: string): string {
  const text = readFileSync(path);
  try {
    const pair = parseOpensshPrivateKey(text);
    try {
      if (!ed25519PublicOf(pair.seed).equals(pair.publicKey)) throw new Error('public key does not match');
      return publicKeyLine(pair.publicKey, CONTROL_KEY_COMMENT);
    } finally {
      wipe(pair.seed);
    }
  } catch {
    throw new ViworksError('VIW_E_CONFIG', { details: [`gateway control key unreadable: ${path}`] });
  } finally {
    wipe(text);
  }
}
