// The one record of what the session's DNS changed, whichever way it was applied: a small JSON
// file in the daemon's state directory (0600, written to a temporary file, synced and renamed into
// place), written BEFORE anything changes and removed once it is undone. It names the method, so
// the daemon's next start can undo a session whose daemon died even when detection would now pick
// another way. Nothing in it is secret: the interface, the resolvconf record, and for the `file`
// method what resolv.conf was (its bytes and mode, or a symlink's target).
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator, taggedUnion } from '../../../core/schema/strict.js';

export const DNS_STATE_FILE = 'dns-state.json';

const IfName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,14}$' });
const AbsolutePath = Type.String({ pattern: '^/', maxLength: 4096 });

const FileOriginal = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('file'),
      mode: Type.Integer({ minimum: 0, maximum: 0o7777 }),
      bytes_b64: Type.String({ maxLength: 1_400_000 }),
    },
    closed,
  ),
  Type.Object({ kind: Type.Literal('symlink'), target: Type.String({ maxLength: 4096 }) }, closed),
  Type.Object({ kind: Type.Literal('absent') }, closed),
]);

const FileRecord = Type.Object(
  {
    v: Type.Literal(2),
    method: Type.Literal('file'),
    interfaceName: IfName,
    /** The resolv.conf that was changed (restore puts it back there). */
    path: AbsolutePath,
    original: FileOriginal,
  },
  closed,
);

const ResolvedRecord = Type.Object(
  { v: Type.Literal(2), method: Type.Literal('systemd-resolved'), interfaceName: IfName },
  closed,
);

const ResolvconfRecord = Type.Object(
  {
    v: Type.Literal(2),
    method: Type.Literal('resolvconf'),
    interfaceName: IfName,
    /** `<interface>.viworks` */
    record: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,14}\\.viworks$' }),
    /** The resolvconf that added the record (/sbin/resolvconf or /usr/sbin/resolvconf). */
    program: AbsolutePath,
    flavour: Type.Union([Type.Literal('openresolv'), Type.Literal('debian')]),
  },
  closed,
);

export const DnsStateSchema = taggedUnion('method', [FileRecord, ResolvedRecord, ResolvconfRecord]);
export type DnsState = Static<typeof DnsStateSchema>;
export type FileDnsState = Static<typeof FileRecord>;
export type ResolvedDnsState = Static<typeof ResolvedRecord>;
export type ResolvconfDnsState = Static<typeof ResolvconfRecord>;

const validator = strictValidator(DnsStateSchema);

/** Reads, writes and forgets `<stateDir>/dns-state.json`. */
export class DnsStateStore {
  readonly path: string;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, DNS_STATE_FILE);
  }

  /** The record, or null when nothing is applied; VIW_E_STATE when the file is not one of ours. */
  async read(): Promise<DnsState | null> {
    let text: string;
    try {
      const st = await fs.lstat(this.path);
      if (!st.isFile())
        throw new ViworksError('VIW_E_STATE', { details: [`${DNS_STATE_FILE}: not a regular file`] });
      // Restoring writes what this file says, as root: only a file nobody else could have written counts.
      if ((st.mode & 0o022) !== 0 || (process.getuid !== undefined && st.uid !== process.getuid()))
        throw new ViworksError('VIW_E_STATE', { details: [`${DNS_STATE_FILE}: writable by others`] });
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ViworksError('VIW_E_STATE', { details: [`${DNS_STATE_FILE}: not JSON`] });
    }
    return validator.parse(value, 'VIW_E_STATE');
  }

  /** Writes the record durably (0600, synced, renamed into place) before the caller changes anything. */
  async write(record: DnsState): Promise<void> {
    validator.parse(record, 'VIW_E_INTERNAL');
    await fs.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp-${randomBytes(6).toString('hex')}`;
    const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(record)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.path);
  }

  async clear(): Promise<void> {
    await fs.rm(this.path, { force: true });
  }
}
