// OpenSSH encodings of Ed25519 keys, written here rather than by shelling out to ssh-keygen (the
// backend host need not have OpenSSH installed):
//   - the private key file (`openssh-key-v1`, unencrypted, PROTOCOL.key): ssh2 1.17 reads Ed25519
//     private keys ONLY in this format (keyParser.js has no PKCS#8 path for them), and sshd reads it
//     for host keys (the tests' sshd uses one);
//   - the public key line (`ssh-ed25519 AAAA… comment`) for a node's authorized_keys;
//   - the host-key fingerprint as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { wipe } from '../../../core/crypto/bytes.js';

const KEY_TYPE = 'ssh-ed25519';
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** `SHA256:` + 43 unpadded base64 characters, as the admin API accepts it. */
export const HOST_KEY_FINGERPRINT_PATTERN = '^SHA256:[A-Za-z0-9+/]{43}$';

function sshString(data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** The SSH wire blob of an Ed25519 public key: string "ssh-ed25519", string key(32). */
export function ed25519PublicBlob(publicKey: Uint8Array): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

export function publicKeyLine(publicKey: Uint8Array, comment: string): string {
  return `${KEY_TYPE} ${ed25519PublicBlob(publicKey).toString('base64')} ${comment}`;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:<base64, no padding>`. */
export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface Ed25519Pair {
  /** 32-byte seed (the private key). Wipe when done. */
  readonly seed: Buffer;
  readonly publicKey: Buffer;
}

export function generateEd25519(): Ed25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = publicKey.export({ format: 'jwk' });
  return { seed: Buffer.from(jwk.d ?? '', 'base64url'), publicKey: Buffer.from(pub.x ?? '', 'base64url') };
}

/** The public key of a seed (for checking a key file read back from disk). */
export function ed25519PublicOf(seed: Uint8Array): Buffer {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  try {
    const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
      format: 'jwk',
    });
    return Buffer.from(jwk.x ?? '', 'base64url');
  } finally {
    wipe(der);
  }
}

/** An unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` document (PROTOCOL.key). Wipe the result. */
export function opensshPrivateKey(pair: Ed25519Pair, comment: string): Buffer {
  const check = randomBytes(4);
  const secret = Buffer.concat([pair.seed, pair.publicKey]); // OpenSSH stores seed ‖ public
  const parts = [
    check,
    check,
    sshString(KEY_TYPE),
    sshString(pair.publicKey),
    sshString(secret),
    sshString(comment),
  ];
  let section = Buffer.concat(parts);
  const padLen = (8 - (section.length % 8)) % 8;
  const padded = Buffer.concat([section, Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1))]);
  wipe(secret, section, parts[4]);
  section = padded;
  const body = Buffer.concat([
    MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(ed25519PublicBlob(pair.publicKey)),
    sshString(section),
  ]);
  const b64 = body.toString('base64');
  wipe(section, body);
  const lines = b64.match(/.{1,70}/g) ?? [];
  return Buffer.from(
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  );
}

/** Reads SSH wire strings one after another from a buffer; throws on truncation. */
function reader(buf: Buffer, start: number) {
  let pos = start;
  return {
    string(): Buffer {
      if (pos + 4 > buf.length) throw new Error('truncated key');
      const len = buf.readUInt32BE(pos);
      if (pos + 4 + len > buf.length) throw new Error('truncated key');
      pos += 4 + len;
      return buf.subarray(pos - len, pos);
    },
    uint32(): number {
      if (pos + 4 > buf.length) throw new Error('truncated key');
      pos += 4;
      return buf.readUInt32BE(pos - 4);
    },
  };
}

/** Reads back what opensshPrivateKey wrote (unencrypted Ed25519 only). Wipe the seed. */
export function parseOpensshPrivateKey(text: Buffer): Ed25519Pair {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=\n]+)-----END OPENSSH PRIVATE KEY-----/.exec(
    text.toString('latin1'),
  );
  if (!m?.[1]) throw new Error('not an OpenSSH private key');
  const body = Buffer.from(m[1].replace(/\n/g, ''), 'base64');
  try {
    if (!body.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('bad magic');
    const outer = reader(body, MAGIC.length);
    if (outer.string().toString() !== 'none' || outer.string().toString() !== 'none') {
      throw new Error('encrypted keys are not supported');
    }
    outer.string(); // kdf options
    if (outer.uint32() !== 1) throw new Error('expected one key');
    outer.string(); // public blob
    const section = outer.string();
    const inner = reader(section, 0);
    const check1 = inner.uint32();
    if (inner.uint32() !== check1) throw new Error('check bytes differ');
    if (inner.string().toString() !== KEY_TYPE) throw new Error('not an Ed25519 key');
    const publicKey = Buffer.from(inner.string());
    const secret = inner.string();
    if (publicKey.length !== 32 || secret.length !== 64) throw new Error('bad key lengths');
    return { seed: Buffer.from(secret.subarray(0, 32)), publicKey };
  } finally {
    wipe(body);
  }
}
