// The TPM 2.0 device key store (`--keystore tpm2`): the device's two key pairs are P-256 keys made
// inside the TPM (sensitiveDataOrigin), bound to it (fixedTPM, fixedParent) and used only there:
//   - `sign`: ECDSA P-256 / SHA-256 — request signing (tpm2_sign over the SHA-256 of the signed text);
//   - `hpke`: ECDH P-256 — the one private-key step of the bootstrap's HPKE decap (tpm2_ecdhzgen);
//     the rest of DHKEM(P-256) and the AEAD run in core/crypto/hpke-p256.ts on the TPM's output.
// Key type `p256`, key_protection `tpm2`, store name `tpm2`.
//
// What is on disk, in <stateDir>/tpm2 (0700, files 0600):
//   hpke.pub/.priv, sign.pub/.priv  TPM2B_PUBLIC / TPM2B_PRIVATE from tpm2_create: the private part is
//                                   encrypted by the TPM under its storage key and loads only into
//                                   this TPM (under the owner hierarchy's primary key below);
//   auth                            32 random bytes, the keys' authorization value;
//   hpke.ctx, sign.ctx              saved contexts of the loaded keys (TPM-encrypted, void after a
//                                   TPM reset; reloaded from the blobs when they fail).
// HONESTY NOTE: the auth value is a file readable by root. It is not a secret against root on this
// machine: root can use the keys (ask the TPM to sign or decrypt) while it has the TPM. What the TPM
// does guarantee is that the private keys cannot be read out or used on any other machine, so a
// copied disk, backup or state directory is worthless. The keys have noDA (the auth value is 256
// random bits), so a wrong auth never counts towards the TPM's dictionary-attack lockout.
//
// The primary key is re-derived on each load from the owner hierarchy with a fixed template (an
// ECC P-256 storage key, like the TCG SRK); nothing is made persistent in the TPM. The owner
// hierarchy must have no password (the default on Linux). Changing PRIMARY_ARGS would orphan every
// enrolled device's keys: never change it.
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { wipe } from '../../../core/crypto/bytes.js';
import { openEnvelope, p256EcdhRecipient } from '../../../core/crypto/envelope.js';
import { deviceFingerprint } from '../../../core/crypto/fingerprints.js';
import { p256Jwk, type SignedHeaders, signRequestWith } from '../../../core/crypto/request-signing.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { type HardwareKeyStore, keystoreError, type NewDeviceKeys } from '../keystore.js';
import {
  checkDeviceKeyPublic,
  ECDH_KEY_ATTRIBUTES,
  type EccPublic,
  eccPointTpm2b,
  eccPointX,
  ecdsaDerToRaw,
  parseEccPublic,
  SIGNING_KEY_ATTRIBUTES,
  TPM_ALG,
} from './tpm2-public.js';
import { DEFAULT_TCTI, type Tpm2Tool, Tpm2Tools, tctiDevice } from './tpm2-tools.js';

export const TPM2_STORE_NAME = 'tpm2';

// Never change (see the header): the enrolled keys are children of the key this template makes.
const PRIMARY_ARGS = [
  '-C',
  'o',
  '-g',
  'sha256',
  '-G',
  'ecc256:aes128cfb',
  '-a',
  'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda',
] as const;

type KeyName = 'hpke' | 'sign';
const KEYS: Record<KeyName, { alg: string; attrs: string; attributes: number; scheme: number }> = {
  hpke: {
    alg: 'ecc256:ecdh-sha256',
    attrs: 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|decrypt',
    attributes: ECDH_KEY_ATTRIBUTES,
    scheme: TPM_ALG.ecdh,
  },
  sign: {
    alg: 'ecc256:ecdsa-sha256',
    attrs: 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|sign',
    attributes: SIGNING_KEY_ATTRIBUTES,
    scheme: TPM_ALG.ecdsa,
  },
};
const AUTH_FILE = 'auth';
const AUTH_BYTES = 32;

export interface Tpm2KeyStoreOptions {
  /** Where the key blobs and the auth value live (created 0700): <stateDir>/tpm2. */
  readonly dir: string;
  /** The TCTI tpm2-tools use; default device:/dev/tpmrm0 (tpm2-tools.ts). */
  readonly tcti?: string;
  /** Where the tpm2-tools binaries are; default /usr/bin. */
  readonly toolsDir?: string;
  /** Per command; default 30 s. */
  readonly timeoutMs?: number;
}

export class Tpm2KeyStore implements HardwareKeyStore {
  readonly kind = 'device-keys' as const;
  readonly name = TPM2_STORE_NAME;
  readonly protection = 'tpm2' as const;
  readonly keyType = 'p256' as const;
  readonly tools: Tpm2Tools;
  readonly dir: string;
  /** Keys whose saved context (…ctx) this process made: believed loadable until a command fails. */
  private readonly loaded = new Set<KeyName>();
  private swept = false;

  constructor(o: Tpm2KeyStoreOptions) {
    this.dir = o.dir;
    this.tools = new Tpm2Tools({
      tcti: o.tcti ?? DEFAULT_TCTI,
      ...(o.toolsDir ? { toolsDir: o.toolsDir } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
  }

  /** null when a TPM answers on the TCTI and the primary key can be made; otherwise why not. */
  async probe(): Promise<string | null> {
    if (!this.tools.installed()) return 'tpm2-tools not installed (apt-get install tpm2-tools)';
    const device = tctiDevice(this.tools.tcti);
    if (device && !existsSync(device)) return `${device} not present`;
    try {
      await this.tools.exclusive(() => this.inOpDir((op) => this.createPrimary(op)));
      return null;
    } catch (err) {
      return isViworksError(err) ? err.details.join('; ') : 'not usable';
    }
  }

  async create(): Promise<NewDeviceKeys> {
    const pubs = await this.tools.exclusive(() =>
      this.inOpDir(async (op) => {
        const auth = randomBytes(AUTH_BYTES);
        try {
          await fs.writeFile(join(op, AUTH_FILE), auth, { mode: 0o600, flag: 'wx' });
        } finally {
          wipe(auth);
        }
        await this.createPrimary(op);
        const made = {} as Record<KeyName, EccPublic>;
        for (const k of ['hpke', 'sign'] as const) {
          await this.tool('tpm2_create', op, [
            '-C',
            join(op, 'primary.ctx'),
            '-G',
            KEYS[k].alg,
            '-a',
            KEYS[k].attrs,
            '-p',
            `file:${join(op, AUTH_FILE)}`,
            '-u',
            join(op, `${k}.pub`),
            '-r',
            join(op, `${k}.priv`),
            '-Q',
          ]);
          made[k] = this.checked(k, await fs.readFile(join(op, `${k}.pub`)));
        }
        // All made: replace the previous set (a re-enrollment) in one go.
        this.loaded.clear();
        for (const k of ['hpke', 'sign'] as const) await fs.rm(this.path(`${k}.ctx`), { force: true });
        for (const f of [AUTH_FILE, 'hpke.pub', 'hpke.priv', 'sign.pub', 'sign.priv']) {
          // tpm2-tools create files 0660; the directory is 0700 already, the files follow suit.
          await fs.chmod(join(op, f), 0o600);
          await fs.rename(join(op, f), this.path(f));
        }
        await syncDir(this.dir);
        return made;
      }),
    );
    return {
      keyType: this.keyType,
      hpkePublicKey: pubs.hpke.point,
      signingPublicKey: pubs.sign.point,
      fingerprint: deviceFingerprint(pubs.hpke.point, pubs.sign.point),
    };
  }

  /** Both keys are there, are what was created, and load into this TPM. */
  async check(): Promise<void> {
    await this.checkDir();
    const auth = await this.readAuthChecked();
    wipe(auth);
    for (const k of ['hpke', 'sign'] as const) {
      await this.publicKey(k);
      if (!existsSync(this.path(`${k}.priv`))) throw keystoreError(`tpm2: ${k}.priv missing`);
    }
    await this.tools.exclusive(() =>
      this.inOpDir(async (op) => {
        for (const k of ['hpke', 'sign'] as const) await this.load(k, op);
      }),
    );
  }

  async sign(keyId: string, method: string, path: string, body: Uint8Array): Promise<SignedHeaders> {
    const pub = await this.publicKey('sign');
    return signRequestWith(
      keyId,
      async (text) => {
        const digest = createHash('sha256').update(text).digest();
        const raw = ecdsaDerToRaw(await this.signDigest(digest));
        // The TPM's signature is checked before it leaves: a wrong one would only fail at the backend.
        const key = createPublicKey({ key: p256Jwk(pub.point), format: 'jwk' });
        if (!verify('sha256', text, { key, dsaEncoding: 'ieee-p1363' }, raw)) {
          throw keystoreError('tpm2: the TPM signature does not verify');
        }
        return raw;
      },
      method,
      path,
      body,
    );
  }

  async openEnvelope(
    envelope: unknown,
    o: { readonly expectedDeviceId: string; readonly expectedSessionId: string },
  ): Promise<Uint8Array> {
    const pub = await this.publicKey('hpke');
    return openEnvelope(envelope, {
      recipient: p256EcdhRecipient(pub.point, (peer) => this.ecdh(peer)),
      ...o,
    });
  }

  async delete(): Promise<void> {
    await this.tools.exclusive(async () => {
      this.loaded.clear();
      for (const f of [AUTH_FILE, 'hpke.pub', 'hpke.priv', 'sign.pub', 'sign.priv', 'hpke.ctx', 'sign.ctx']) {
        await fs.rm(this.path(f), { force: true });
      }
    });
  }

  /** The public area of a key as the TPM made it, checked against what was asked for. */
  async publicKey(k: KeyName): Promise<EccPublic> {
    let raw: Buffer;
    try {
      raw = await fs.readFile(this.path(`${k}.pub`));
    } catch {
      throw keystoreError(`tpm2: ${k}.pub missing`);
    }
    return this.checked(k, raw);
  }

  /** The saved context of a loaded key (tests read its attributes from the TPM with it). */
  contextPath(k: KeyName): string {
    return this.path(`${k}.ctx`);
  }

  private checked(k: KeyName, raw: Uint8Array): EccPublic {
    const pub = parseEccPublic(raw);
    checkDeviceKeyPublic(pub, KEYS[k]);
    return pub;
  }

  /** DER ECDSA signature of a SHA-256 digest by the signing key (neither is secret). */
  private signDigest(digest: Uint8Array): Promise<Buffer> {
    return this.tools.exclusive(() =>
      this.inOpDir(async (op) => {
        const file = join(op, 'digest');
        const sig = join(op, 'signature');
        await fs.writeFile(file, digest, { mode: 0o600 });
        await this.withKey('sign', op, (ctx) =>
          this.tool('tpm2_sign', op, [
            '-Q',
            '-c',
            ctx,
            '-p',
            `file:${this.path(AUTH_FILE)}`,
            '-g',
            'sha256',
            '-s',
            'ecdsa',
            '-d',
            '-f',
            'plain',
            '-o',
            sig,
            file,
          ]),
        );
        return fs.readFile(sig);
      }),
    );
  }

  /** Z = x(skR · peer) by the HPKE key; it passes through a FIFO, never a file's contents. */
  private ecdh(peer: Uint8Array): Promise<Uint8Array> {
    return this.tools.exclusive(() =>
      this.inOpDir(async (op) => {
        const file = join(op, 'point');
        await fs.writeFile(file, eccPointTpm2b(peer), { mode: 0o600 });
        const out = await this.withKey('hpke', op, (ctx) =>
          this.tools.runWithSecretOutput(
            'tpm2_ecdhzgen',
            ['-Q', '-c', ctx, '-p', `file:${this.path(AUTH_FILE)}`, '-u', file, '-o', '{out}'],
            op,
          ),
        );
        try {
          return eccPointX(out);
        } finally {
          wipe(out);
        }
      }),
    );
  }

  /** Runs `use` on the key's saved context, loading it first when needed; reloads once on failure. */
  private async withKey<T>(k: KeyName, op: string, use: (ctx: string) => Promise<T>): Promise<T> {
    if (!this.loaded.has(k)) {
      await this.load(k, op);
      return use(this.path(`${k}.ctx`));
    }
    try {
      return await use(this.path(`${k}.ctx`));
    } catch {
      // The saved context is void after a TPM reset (or was removed): load from the blobs again.
      this.loaded.delete(k);
      await this.load(k, op);
      return use(this.path(`${k}.ctx`));
    }
  }

  private async load(k: KeyName, op: string): Promise<void> {
    await this.createPrimary(op);
    const tmp = join(op, `${k}.ctx`);
    await this.tool('tpm2_load', op, [
      '-C',
      join(op, 'primary.ctx'),
      '-u',
      this.path(`${k}.pub`),
      '-r',
      this.path(`${k}.priv`),
      '-c',
      tmp,
      '-Q',
    ]);
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, this.path(`${k}.ctx`));
    this.loaded.add(k);
  }

  private createPrimary(op: string): Promise<Buffer> {
    return this.tool('tpm2_createprimary', op, [...PRIMARY_ARGS, '-c', join(op, 'primary.ctx'), '-Q']);
  }

  private tool(name: Tpm2Tool, op: string, args: readonly string[]): Promise<Buffer> {
    return this.tools.run(name, args, op);
  }

  /** A private scratch directory inside the store for one operation's (public) inputs; removed after. */
  private async inOpDir<T>(fn: (op: string) => Promise<T>): Promise<T> {
    await this.ensureDir();
    if (!this.swept) {
      // Scratch directories a killed process left (public inputs, a primary context): removed once.
      this.swept = true;
      for (const e of await fs.readdir(this.dir)) {
        if (e.startsWith('.op-')) await fs.rm(join(this.dir, e), { recursive: true, force: true });
      }
    }
    const op = await fs.mkdtemp(join(this.dir, '.op-'));
    try {
      return await fn(op);
    } finally {
      await fs.rm(op, { recursive: true, force: true });
    }
  }

  private path(file: string): string {
    return join(this.dir, file);
  }

  private async readAuthChecked(): Promise<Buffer> {
    const st = await fs.lstat(this.path(AUTH_FILE)).catch(() => null);
    if (!st) throw keystoreError('tpm2: auth missing');
    if (!st.isFile() || st.size !== AUTH_BYTES) throw keystoreError('tpm2: auth malformed');
    checkOwnerAndMode(st, 'auth');
    return fs.readFile(this.path(AUTH_FILE));
  }

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.checkDir();
  }

  private async checkDir(): Promise<void> {
    const st = await fs.lstat(this.dir).catch(() => null);
    if (!st) throw keystoreError('tpm2: key directory missing');
    if (!st.isDirectory()) throw keystoreError('tpm2: key directory is not a directory');
    checkOwnerAndMode(st, 'key directory');
  }
}

function checkOwnerAndMode(st: { uid: number; mode: number }, what: string): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (st.uid !== uid) throw keystoreError(`tpm2: ${what} owned by another user`);
  if ((st.mode & 0o077) !== 0) throw keystoreError(`tpm2: ${what} permissions too open (want 0600/0700)`);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the renames are still atomic
  } finally {
    await fh.close();
  }
}
