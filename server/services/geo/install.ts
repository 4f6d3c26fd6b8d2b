// `viworks-server geo install`: a newer country or AS database (MMDB) checked and copied into
// <dataDir>/geo/ (country.mmdb, asn.mmdb), where the next start finds it (geoip.ts: configured >
// installed > bundled). Each file is read once and the bytes that were checked are the bytes
// written: a temp file in the same directory (0644), fsynced, renamed over the old one, the
// directory (0700) fsynced. Every file is checked before any is written.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import { asnOf, countryOf, type GeoKind, INSTALLED_NAMES } from './geoip.js';
import { type OpenMmdb, openMmdb } from './mmdb.js';

/** Larger than any country, city or ASN database sold or given away today. */
export const GEO_FILE_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * Well-known public resolvers on both address families: a database of the kind answers for at
 * least one of them (the check that an ASN file was not given as the country file, and back).
 */
export const PROBE_ADDRESSES = [
  '8.8.8.8',
  '1.1.1.1',
  '9.9.9.9',
  '208.67.222.222',
  '193.0.14.129',
  '2001:4860:4860::8888',
  '2606:4700:4700::1111',
] as const;

export interface GeoInstallFile {
  readonly kind: GeoKind;
  /** The file given on the command line. */
  readonly source: string;
}

export interface InstalledGeoFile {
  readonly kind: GeoKind;
  readonly source: string;
  readonly path: string;
  readonly database_type: string;
  readonly built_at: string;
  readonly size: number;
  readonly sha256: string;
  /** What the file replaced, if one was installed before (a downgrade is allowed: a rollback). */
  readonly replaced: { readonly database_type: string; readonly built_at: string } | null;
}

const refuse = (flag: string, why: string) =>
  new ViworksError('VIW_E_VALIDATION', { details: [`--${flag} ${why}`.slice(0, 300)] });

/** Opens the bytes as a database of `kind`, or throws VIW_E_VALIDATION naming the flag and why. */
export function checkGeoFile(kind: GeoKind, bytes: Buffer, flag: string = kind): OpenMmdb {
  const db = openMmdb(bytes);
  if (typeof db === 'string') throw refuse(flag, `is no usable MMDB: ${db}`);
  const answers = PROBE_ADDRESSES.filter((ip) =>
    kind === 'country' ? countryOf(db.get(ip)) !== null : asnOf(db.get(ip)) !== null,
  );
  if (answers.length === 0) {
    throw refuse(flag, `is no ${kind} database: none of ${PROBE_ADDRESSES.join(', ')} has a ${kind} in it`);
  }
  return db;
}

function readInput(file: GeoInstallFile): Buffer {
  try {
    const size = statSync(file.source).size;
    if (size > GEO_FILE_MAX_BYTES) throw refuse(file.kind, `is larger than ${GEO_FILE_MAX_BYTES} bytes`);
    return readFileSync(file.source);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw refuse(file.kind, `cannot be read: ${file.source}`);
  }
}

function current(path: string): InstalledGeoFile['replaced'] {
  try {
    const db = openMmdb(readFileSync(path));
    return typeof db === 'string'
      ? null
      : { database_type: db.databaseType, built_at: db.builtAt.toISOString() };
  } catch {
    return null;
  }
}

/** Temp file beside the target, 0644 whatever the umask, synced, renamed; the directory synced. */
function writeAtomically(dir: string, name: string, bytes: Buffer): void {
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fchmodSync(fd, 0o644);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never written
    }
    throw err;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Checks every file, then installs them into `dir` (made 0700). */
export function installGeoFiles(dir: string, files: readonly GeoInstallFile[]): InstalledGeoFile[] {
  const checked = files.map((file) => {
    const bytes = readInput(file);
    return { file, bytes, db: checkGeoFile(file.kind, bytes) };
  });
  ensurePrivateDir(dir);
  return checked.map(({ file, bytes, db }) => {
    const name = INSTALLED_NAMES[file.kind];
    const replaced = current(join(dir, name));
    writeAtomically(dir, name, bytes);
    return {
      kind: file.kind,
      source: file.source,
      path: join(dir, name),
      database_type: db.databaseType,
      built_at: db.builtAt.toISOString(),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      replaced,
    };
  });
}
