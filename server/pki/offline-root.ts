// The root CA offline (pki-siem §3.1): after `pki export-root` the root key lives only on removable
// media at the root machine, and new intermediates go through a CSR:
//
//   backend host   pki intermediate-csr --name int-tls --out int-tls.csr    (a new key: token or file)
//   root machine   pki sign-intermediate --root-dir DIR --csr int-tls.csr --name int-tls --out int-tls.crt
//   backend host   pki install-intermediate --name int-tls --cert int-tls.crt, then restart
//
// The pending key is `viworks-<name>-next` in the token (or <dataDir>/pki/<name>.next.key); installing
// makes it the one in use and keeps the replaced certificate as <name>.prev.crt (and its key as -prev)
// so certificates it issued verify until they expire. Every input is checked before anything moves.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import { loadOrCreateKey } from './credentials.js';
import { type CaKeyStorage, keyMatches, pkiDir } from './embedded-pki.js';
import type { Hsm } from './hsm/hsm.js';
import { createIntermediate, dn, type Issuer, intermediateCommonName } from './issue.js';
import { EC_ALG, keyPairFromPem, SIGNING_ALG } from './keys.js';
import { INTERMEDIATE_DAYS, INTERMEDIATES, type IntermediateName } from './profiles.js';
import { x509 } from './x509.js';

/** CSRs and certificates are a few hundred bytes; anything this large is not one. */
const MAX_PEM_BYTES = 64 * 1024;

export function isIntermediateName(value: unknown): value is IntermediateName {
  return typeof value === 'string' && (INTERMEDIATES as readonly string[]).includes(value);
}

const invalid = (detail: string) => new ViworksError('VIW_E_VALIDATION', { details: [detail] });
const conflict = (detail: string) => new ViworksError('VIW_E_CONFLICT', { details: [detail] });

/** Writes and fsyncs a new file (never over an existing one), then fsyncs its directory. */
function writeDurable(path: string, data: string | Buffer, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`${path} already exists`);
    throw err;
  }
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(path));
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Overwrites a key file with zeros, fsyncs, unlinks. On a journaling or copy-on-write filesystem
 * (or an SSD) old blocks may survive: the disk itself must be encrypted or destroyed for certainty.
 */
function wipeFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const size = statSync(path).size;
    writeSync(fd, Buffer.alloc(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(path);
  fsyncDir(dirname(path));
}

/** The file's bytes (a key's: the caller wipes them), refused when missing or oversized. */
function readCappedBytes(path: string, what: string): Buffer {
  try {
    if (statSync(path).size > MAX_PEM_BYTES)
      throw invalid(`${what}: ${path} is larger than ${MAX_PEM_BYTES} bytes`);
    return readFileSync(path);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw invalid(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const readCapped = (path: string, what: string): string => readCappedBytes(path, what).toString('utf8');

/** The real path of `path`, or of its nearest existing parent joined with the rest. */
function realish(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realish(parent), abs.slice(parent.length + 1));
  }
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Root key + certificate from a directory (the export's layout); the key must match. */
export async function loadRootFrom(dir: string): Promise<Issuer> {
  const cert = new x509.X509Certificate(readCapped(join(dir, 'root.crt'), 'root certificate'));
  const keyPem = readCappedBytes(join(dir, 'root.key'), 'root key');
  let keys: CryptoKeyPair;
  try {
    keys = await keyPairFromPem(keyPem);
  } catch {
    throw invalid(`${dir}: root.key is not a PKCS#8 EC private key`);
  } finally {
    keyPem.fill(0);
  }
  if (!(await keyMatches(cert, keys.publicKey))) throw invalid(`${dir}: root.key is not the key of root.crt`);
  return { cert, keys };
}

export interface ExportRootResult {
  readonly v: 1;
  readonly out_dir: string;
  readonly subject: string;
  readonly not_after: string;
  /** The key file removed from the data directory. */
  readonly removed: string;
}

/** `pki export-root`: every intermediate must exist first (nothing can make one here afterwards). */
export async function exportRoot(dataDir: string, outDir: string): Promise<ExportRootResult> {
  const dir = pkiDir(dataDir);
  const keyPath = join(dir, 'root.key');
  if (!existsSync(keyPath)) {
    throw conflict(`${keyPath} does not exist: the root key is already offline, or no PKI was made`);
  }
  const certPem = readCapped(join(dir, 'root.crt'), 'root certificate');
  const missing = INTERMEDIATES.filter((n) => readTextIfExists(join(dir, `${n}.crt`)) === undefined);
  if (missing.length > 0)
    throw conflict(`intermediates not made yet: ${missing.join(', ')} (run init first)`);
  const out = resolve(outDir);
  if (inside(realish(out), realish(dataDir))) throw invalid(`--out ${out} is inside the data directory`);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const keyPem = readCappedBytes(keyPath, 'root key');
  try {
    writeDurable(join(out, 'root.key'), keyPem, 0o600);
  } finally {
    keyPem.fill(0);
  }
  writeDurable(join(out, 'root.crt'), certPem, 0o644);
  // Read back what is on the medium now, not what we meant to write.
  const exported = await loadRootFrom(out);
  if (exported.cert.toString('pem') !== new x509.X509Certificate(certPem).toString('pem')) {
    throw new ViworksError('VIW_E_INTERNAL', { details: ['the exported root.crt reads back different'] });
  }
  wipeFile(keyPath);
  return {
    v: 1,
    out_dir: out,
    subject: exported.cert.subject,
    not_after: exported.cert.notAfter.toISOString(),
    removed: keyPath,
  };
}

export interface IntermediateCsrResult {
  readonly v: 1;
  readonly name: IntermediateName;
  readonly out: string;
  readonly subject: string;
  readonly key_storage: CaKeyStorage;
}

/** The pending key of `name`: the token's `-next` key with an Hsm, else <name>.next.key. */
async function pendingKey(dataDir: string, name: IntermediateName, hsm: Hsm | undefined, create: boolean) {
  if (hsm) {
    const keys = await hsm.pendingCaKeyPair(name, create);
    return keys ? { keys, crypto: hsm.crypto, storage: 'pkcs11' as const } : null;
  }
  const path = join(pkiDir(dataDir), `${name}.next.key`);
  if (!create && readTextIfExists(path) === undefined) return null;
  return { keys: (await loadOrCreateKey(path)).keys, crypto: undefined, storage: 'file' as const };
}

/** `pki intermediate-csr`: a CSR for the pending key (made now, or the one still waiting). */
export async function writeIntermediateCsr(
  dataDir: string,
  name: IntermediateName,
  outFile: string,
  opts: { hsm?: Hsm } = {},
): Promise<IntermediateCsrResult> {
  const pending = await pendingKey(dataDir, name, opts.hsm, true);
  if (!pending) throw new ViworksError('VIW_E_INTERNAL', { details: ['pending key not made'] });
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: dn(intermediateCommonName(name)), keys: pending.keys, signingAlgorithm: SIGNING_ALG },
    pending.crypto,
  );
  const out = resolve(outFile);
  writePrivateFile(out, csr.toString('pem'));
  return { v: 1, name, out, subject: csr.subject, key_storage: pending.storage };
}

export interface SignIntermediateResult {
  readonly v: 1;
  readonly name: IntermediateName;
  readonly out: string;
  readonly subject: string;
  readonly serial: string;
  readonly not_after: string;
}

async function checkedCsr(csrFile: string, name: IntermediateName): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(readCapped(csrFile, 'csr'));
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw invalid(`csr: ${csrFile} is not a PKCS#10 request`);
  }
  if (!(await csr.verify())) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', {
      message: 'The CSR signature is invalid',
      details: ['csr: not signed by the key it carries'],
    });
  }
  const want = new x509.Name(dn(intermediateCommonName(name))).toString();
  if (csr.subject !== want) throw invalid(`csr: subject is "${csr.subject}", --name ${name} needs "${want}"`);
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw invalid('csr: the key is not ECDSA P-256');
  return csr;
}

/** `pki sign-intermediate` on the root machine: needs only the root in `rootDir`. */
export async function signIntermediate(opts: {
  rootDir: string;
  csrFile: string;
  name: IntermediateName;
  outFile: string;
  days?: number;
}): Promise<SignIntermediateResult> {
  const lifetime = opts.days ?? INTERMEDIATE_DAYS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > INTERMEDIATE_DAYS) {
    throw invalid(`--days: 1 to ${INTERMEDIATE_DAYS}`);
  }
  const root = await loadRootFrom(opts.rootDir);
  const csr = await checkedCsr(opts.csrFile, opts.name);
  const publicKey = await csr.publicKey.export(EC_ALG, ['verify']);
  const cert = await createIntermediate(root, intermediateCommonName(opts.name), publicKey, lifetime);
  const out = resolve(opts.outFile);
  writeDurable(out, cert.toString('pem'), 0o644);
  return {
    v: 1,
    name: opts.name,
    out,
    subject: cert.subject,
    serial: cert.serialNumber,
    not_after: cert.notAfter.toISOString(),
  };
}

export interface InstallIntermediateResult {
  readonly v: 1;
  readonly name: IntermediateName;
  readonly subject: string;
  readonly serial: string;
  readonly not_after: string;
  readonly key_storage: CaKeyStorage;
  /** The replaced certificate, kept as <name>.prev.crt. */
  readonly previous: { readonly serial: string; readonly not_after: string } | null;
  /** The running server keeps the old intermediate until it restarts. */
  readonly restart_required: true;
}

async function checkedIntermediate(dataDir: string, certFile: string, name: IntermediateName) {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(readCapped(certFile, 'cert'));
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw invalid(`cert: ${certFile} is not an X.509 certificate`);
  }
  const root = new x509.X509Certificate(readCapped(join(pkiDir(dataDir), 'root.crt'), 'root certificate'));
  const signed = await cert.verify({ publicKey: root.publicKey, signatureOnly: true }).catch(() => false);
  if (cert.issuer !== root.subject || !signed) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', {
      message: 'The certificate does not chain to our root',
      details: [`cert: not signed by ${root.subject} (<dataDir>/pki/root.crt)`],
    });
  }
  const want = new x509.Name(dn(intermediateCommonName(name))).toString();
  if (cert.subject !== want)
    throw invalid(`cert: subject is "${cert.subject}", --name ${name} needs "${want}"`);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (!basic?.ca || !usage || !(usage.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw invalid('cert: not a CA certificate that may sign certificates');
  }
  const now = Date.now();
  if (cert.notAfter.getTime() <= now || cert.notBefore.getTime() > now + 300_000) {
    throw invalid('cert: not valid now');
  }
  return cert;
}

/** `pki install-intermediate`: the certificate must chain to our root and be for the pending key. */
export async function installIntermediate(
  dataDir: string,
  name: IntermediateName,
  certFile: string,
  opts: { hsm?: Hsm } = {},
): Promise<InstallIntermediateResult> {
  const dir = pkiDir(dataDir);
  const cert = await checkedIntermediate(dataDir, certFile, name);
  const certPath = join(dir, `${name}.crt`);
  const currentPem = readTextIfExists(certPath);
  const pending = await pendingKey(dataDir, name, opts.hsm, false);
  const result = (
    storage: CaKeyStorage,
    previous: x509.X509Certificate | null,
  ): InstallIntermediateResult => ({
    v: 1,
    name,
    subject: cert.subject,
    serial: cert.serialNumber,
    not_after: cert.notAfter.toISOString(),
    key_storage: storage,
    previous: previous ? { serial: previous.serialNumber, not_after: previous.notAfter.toISOString() } : null,
    restart_required: true,
  });
  if (!pending) return finishInterrupted(dataDir, name, cert, opts.hsm, result);
  if (!(await keyMatches(cert, pending.keys.publicKey))) {
    throw conflict(`cert: not for the pending ${name} key (made by the last pki intermediate-csr)`);
  }
  const previous = currentPem ? new x509.X509Certificate(currentPem) : null;
  if (currentPem) writePrivateFile(join(dir, `${name}.prev.crt`), currentPem);
  // The key in use (token or file) becomes -prev, the pending one the key in use.
  const fileKey = join(dir, `${name}.key`);
  if (readTextIfExists(fileKey) !== undefined) renameSync(fileKey, join(dir, `${name}.prev.key`));
  if (opts.hsm && pending.storage === 'pkcs11') await opts.hsm.installPendingCaKey(name);
  else renameSync(join(dir, `${name}.next.key`), fileKey);
  writePrivateFile(certPath, cert.toString('pem'));
  return result(pending.storage, previous);
}

/** No pending key: an earlier install moved the keys and stopped before writing the certificate. */
async function finishInterrupted(
  dataDir: string,
  name: IntermediateName,
  cert: x509.X509Certificate,
  hsm: Hsm | undefined,
  result: (storage: CaKeyStorage, previous: x509.X509Certificate | null) => InstallIntermediateResult,
): Promise<InstallIntermediateResult> {
  const dir = pkiDir(dataDir);
  const tokenKeys = hsm ? await hsm.caKeyPair(name, false) : null;
  const filePem = readTextIfExists(join(dir, `${name}.key`));
  const fileKeys = filePem ? await keyPairFromPem(filePem) : null;
  const storage: CaKeyStorage | null =
    tokenKeys && (await keyMatches(cert, tokenKeys.publicKey))
      ? 'pkcs11'
      : fileKeys && (await keyMatches(cert, fileKeys.publicKey))
        ? 'file'
        : null;
  if (!storage) throw conflict(`no pending ${name} key: run pki intermediate-csr --name ${name} first`);
  writePrivateFile(join(dir, `${name}.crt`), cert.toString('pem'));
  const prevPem = readTextIfExists(join(dir, `${name}.prev.crt`));
  return result(storage, prevPem ? new x509.X509Certificate(prevPem) : null);
}
