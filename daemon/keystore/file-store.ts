// The encrypted-file key store: the Linux fallback when there is no TPM2 and no usable OS keyring.
//
// HONESTY NOTE — this is SOFTWARE protection only, and is reported to the backend as
// `key_protection: software`. Each secret is sealed with AES-256-GCM under a key derived (HKDF-
// SHA256) from the machine id (/etc/machine-id) and a random 32-byte salt kept beside the secrets.
// That binds the files to this machine and keeps them opaque to anyone who copies only the key
// files, and it makes edits detectable (GCM tag, name bound in the AAD). It does NOT protect against
// root on this machine, or anyone who can read the directory AND the machine id (world-readable):
// they can derive the same key. What guards the keys is the directory's 0700 root-only permission.
// With a TPM 2.0 the keys do not come here at all: the tpm2 store (tpm2/tpm2-store.ts) makes P-256
// keys inside the TPM, which `auto` prefers.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { secretCopy, wipe } from '../../core/crypto/bytes.js';
import { assertSecretName, keystoreError, type SecretStore } from './keystore.js';

const MAGIC = Buffer.from('VWK1', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 32;
const MAX_FILE_BYTES = 4096;
const HKDF_INFO = Buffer.from('viworks/keystore/file/v1', 'ascii');

export interface FileKeyStoreOptions {
  /** Directory for the sealed secrets (created 0700). */
  readonly dir: string;
  /** Where the machine id comes from; default /etc/machine-id, then /var/lib/dbus/machine-id. */
  readonly machineIdPaths?: readonly string[];
}

export class FileKeyStore implements SecretStore {
  readonly name = 'file-aes-gcm';
  readonly protection = 'software' as const;
  private readonly machineIdPaths: readonly string[];

  constructor(private readonly opts: FileKeyStoreOptions) {
    this.machineIdPaths = opts.machineIdPaths ?? ['/etc/machine-id', '/var/lib/dbus/machine-id'];
  }

  async put(name: string, secret: Uint8Array): Promise<void> {
    assertSecretName(name);
    await this.ensureDir();
    const key = await this.wrappingKey(true);
    const nonce = randomBytes(NONCE_BYTES);
    let sealed: Buffer;
    try {
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aadFor(name));
      sealed = Buffer.concat([MAGIC, nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
    } finally {
      wipe(key);
    }
    const final = this.fileOf(name);
    const tmp = `${final}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(sealed);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, final);
      await syncDir(this.opts.dir);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw keystoreError('secret file: write failed', err);
    }
  }

  async get(name: string): Promise<Uint8Array | null> {
    assertSecretName(name);
    await this.checkDir();
    const file = this.fileOf(name);
    const st = await fs.lstat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw keystoreError('secret file: not readable', err);
    });
    if (st === null) return null;
    if (!st.isFile()) throw keystoreError('secret file: not a regular file');
    checkOwnerAndMode(st, 0o077, 'secret file');
    if (st.size < MAGIC.length + NONCE_BYTES + TAG_BYTES + 1 || st.size > MAX_FILE_BYTES) {
      throw keystoreError('secret file: size out of range');
    }
    const raw = await fs.readFile(file);
    if (!raw.subarray(0, MAGIC.length).equals(MAGIC)) throw keystoreError('secret file: unknown format');
    const nonce = raw.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
    const ct = raw.subarray(MAGIC.length + NONCE_BYTES, raw.length - TAG_BYTES);
    const key = await this.wrappingKey(false);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aadFor(name));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = decipher.update(ct);
    try {
      decipher.final();
    } catch {
      wipe(plain);
      throw keystoreError('secret file: authentication failed (edited, or from another machine)');
    } finally {
      wipe(key);
    }
    // Off the JS heap (and its pages locked where the daemon can): a wipe reaches the only copy.
    const out = secretCopy(plain);
    wipe(plain);
    return out;
  }

  async delete(name: string): Promise<boolean> {
    assertSecretName(name);
    try {
      await fs.unlink(this.fileOf(name));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw keystoreError('secret file: delete failed', err);
    }
  }

  private fileOf(name: string): string {
    return join(this.opts.dir, `${name}.key`);
  }

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await this.checkDir();
  }

  /** The directory must be ours and closed to group and others; anything else is refused. */
  private async checkDir(): Promise<void> {
    const st = await fs.lstat(this.opts.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw keystoreError('key directory: not readable', err);
    });
    if (st === null) return;
    if (!st.isDirectory()) throw keystoreError('key directory: not a directory');
    checkOwnerAndMode(st, 0o077, 'key directory');
  }

  /** HKDF-SHA256(machine id, salt). The caller wipes the returned key. */
  private async wrappingKey(create: boolean): Promise<Buffer> {
    const machineId = await this.machineId();
    const salt = await this.salt(create);
    try {
      return Buffer.from(hkdfSync('sha256', machineId, salt, HKDF_INFO, 32));
    } finally {
      wipe(machineId, salt);
    }
  }

  private async machineId(): Promise<Buffer> {
    for (const path of this.machineIdPaths) {
      const text = await fs.readFile(path, 'utf8').catch(() => null);
      const id = text?.trim();
      if (id && /^[0-9a-f]{32}$/.test(id)) return Buffer.from(id, 'ascii');
    }
    throw keystoreError('machine id: none readable (need /etc/machine-id)');
  }

  private async salt(create: boolean): Promise<Buffer> {
    const path = join(this.opts.dir, 'salt');
    const st = await fs.lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw keystoreError('salt file: not readable', err);
    });
    if (st !== null) {
      if (!st.isFile() || st.size !== SALT_BYTES) throw keystoreError('salt file: malformed');
      checkOwnerAndMode(st, 0o077, 'salt file');
      return fs.readFile(path);
    }
    if (!create) throw keystoreError('salt file: missing (the key files cannot be opened)');
    const salt = randomBytes(SALT_BYTES);
    try {
      await fs.writeFile(path, salt, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      wipe(salt);
      // A concurrent first write won the race: use its salt.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.salt(false);
      throw keystoreError('salt file: write failed', err);
    }
    await syncDir(this.opts.dir);
    return salt;
  }
}

function aadFor(name: string): Buffer {
  return Buffer.from(`viworks/keystore/v1\0${name}`, 'ascii');
}

function checkOwnerAndMode(st: { uid: number; mode: number }, forbidden: number, what: string): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (st.uid !== uid) throw keystoreError(`${what}: owned by another user`);
  if ((st.mode & forbidden) !== 0) throw keystoreError(`${what}: permissions too open (want 0600/0700)`);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY).catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}
