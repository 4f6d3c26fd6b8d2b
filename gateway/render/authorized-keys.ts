// One authorized_keys line for the control key: the key can only ever run `command`, with every
// other SSH capability off. `restrict` alone turns them all off (and any OpenSSH adds later); the
// explicit no-* options say the same for readers and for older parsers.
import { configError } from './values.js';

const KEY_TYPE = 'ssh-ed25519';
const ED25519_KEY_BYTES = 32;
// Absolute program path plus arguments, no quoting or escaping characters of any kind.
const COMMAND_RE = /^\/[A-Za-z0-9_./@+=:, -]{0,255}$/;

/** The key blob must be exactly the SSH wire encoding of an ed25519 public key. */
function checkEd25519Blob(b64: string): void {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw configError('publicKey', 'not base64');
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64') !== b64) throw configError('publicKey', 'not canonical base64');
  const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const type = blob.subarray(4, 4 + typeLen).toString('latin1');
  const keyLenAt = 4 + typeLen;
  const keyLen = blob.length >= keyLenAt + 4 ? blob.readUInt32BE(keyLenAt) : -1;
  if (type !== KEY_TYPE || keyLen !== ED25519_KEY_BYTES || blob.length !== keyLenAt + 4 + keyLen) {
    throw configError('publicKey', 'not an ed25519 public key');
  }
}

/**
 * `publicKeyOpenSsh` is `ssh-ed25519 <base64>` with an optional comment, which is dropped (it is
 * free text: it could carry anything into the file).
 */
export function renderAuthorizedKeysLine(publicKeyOpenSsh: string, command: string): string {
  if (typeof publicKeyOpenSsh !== 'string' || publicKeyOpenSsh.length > 1024) {
    throw configError('publicKey', 'not an OpenSSH public key');
  }
  const m = /^ssh-ed25519 ([A-Za-z0-9+/=]+)(?: [\x20-\x7e]*)?$/.exec(publicKeyOpenSsh.trim());
  if (!m?.[1]) throw configError('publicKey', 'not an ssh-ed25519 key line');
  checkEd25519Blob(m[1]);
  if (typeof command !== 'string' || !COMMAND_RE.test(command)) {
    throw configError('command', 'not an absolute command of safe characters');
  }
  const options = [
    `command="${command}"`,
    'restrict',
    'no-pty',
    'no-port-forwarding',
    'no-agent-forwarding',
    'no-X11-forwarding',
    'no-user-rc',
  ];
  return `${options.join(',')} ${KEY_TYPE} ${m[1]}`;
}
