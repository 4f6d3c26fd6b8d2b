// Pushed DNS through resolv.conf itself (issue #12): the fallback when neither systemd-resolved nor
// resolvconf runs. What was there — a file's exact bytes and mode, or a symlink's target (a
// resolver manager's stub), or nothing — goes into the DNS state file (dns-state.ts) BEFORE
// anything changes, and comes back byte for byte on disconnect, or at the daemon's next start when
// it died while the session's DNS was in place.
//
// Every write is a temporary file renamed into place, so a crash leaves the old or the new file,
// never half of one. In a container or a network namespace resolv.conf is often a bind mount, which
// rename(2) cannot replace (EBUSY): then the file is rewritten in place (opened O_WRONLY|O_TRUNC,
// written, synced) — the one case where a crash mid-write could leave a short file, which the
// state file still restores.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { checkDnsApplyRequest, type DnsApplyRequest, type DnsBackend } from './dns-backend.js';
import type { DnsStateStore, FileDnsState } from './dns-state.js';
import { parseNameservers, renderResolvConf } from './resolv-conf.js';

export const RESOLV_CONF = '/etc/resolv.conf';

/** Caps what is saved: a resolv.conf is a few hundred bytes; anything huge is not one. */
const MAX_ORIGINAL_BYTES = 1024 * 1024;

export interface FileDnsOptions {
  readonly state: DnsStateStore;
  /** The resolv.conf to manage (default /etc/resolv.conf). */
  readonly path?: string;
  /** rename(2); a test injects one that fails with EBUSY, as on a bind-mounted resolv.conf. */
  readonly rename?: (from: string, to: string) => Promise<void>;
}

function notOurs(detail: string): ViworksError {
  return new ViworksError('VIW_E_STATE', {
    message: 'Other DNS settings of a session are in place; restore them first',
    details: [detail],
  });
}

export class FileDns implements DnsBackend {
  readonly method = 'file' as const;
  private readonly path: string;
  private readonly rename: (from: string, to: string) => Promise<void>;

  constructor(private readonly o: FileDnsOptions) {
    this.path = o.path ?? RESOLV_CONF;
    this.rename = o.rename ?? fs.rename;
  }

  /** Puts the session's DNS in place; the first time, records what was there. */
  async apply(req: DnsApplyRequest): Promise<void> {
    checkDnsApplyRequest(req);
    const text = renderResolvConf(req);
    const saved = await this.o.state.read();
    if (saved && saved.method !== 'file') throw notOurs(`applied through ${saved.method}`);
    if (saved && (saved.path !== this.path || saved.interfaceName !== req.interfaceName))
      throw notOurs('applied to another resolv.conf or interface');
    // A change mid-session keeps the first record: that is what was there before the session.
    if (!saved) {
      const original = await this.snapshot();
      await this.o.state.write({
        v: 2,
        method: 'file',
        interfaceName: req.interfaceName,
        path: this.path,
        original,
      });
    }
    if ((await fs.lstat(this.path).catch(() => null))?.isSymbolicLink()) await fs.rm(this.path);
    await this.writeReplacing(this.path, text, 0o644);
  }

  async applied(): Promise<boolean> {
    return (await this.o.state.read())?.method === 'file';
  }

  /**
   * Puts back what was there before the first apply, byte for byte, and forgets it. Also what the
   * daemon runs at start, to undo a session whose daemon died. A no-op when nothing is applied.
   */
  async restore(): Promise<void> {
    const saved = await this.o.state.read();
    if (!saved) return;
    if (saved.method !== 'file') throw notOurs(`applied through ${saved.method}`);
    await this.putBack(saved);
    await this.o.state.clear();
  }

  async serversInUse(): Promise<string[]> {
    return readNameservers(this.path);
  }

  private async putBack(saved: FileDnsState): Promise<void> {
    const o = saved.original;
    if (o.kind === 'file') await this.writeReplacing(saved.path, Buffer.from(o.bytes_b64, 'base64'), o.mode);
    else if (o.kind === 'symlink') {
      const tmp = tempName(saved.path, 'link');
      await fs.symlink(o.target, tmp);
      await this.rename(tmp, saved.path).catch(async (err) => {
        await fs.rm(tmp, { force: true });
        throw err;
      });
    } else await fs.rm(saved.path, { force: true });
  }

  private async snapshot(): Promise<FileDnsState['original']> {
    let st: Awaited<ReturnType<typeof fs.lstat>>;
    try {
      st = await fs.lstat(this.path);
    } catch {
      return { kind: 'absent' };
    }
    if (st.isSymbolicLink()) return { kind: 'symlink', target: await fs.readlink(this.path) };
    if (!st.isFile() || st.size > MAX_ORIGINAL_BYTES)
      throw new ViworksError('VIW_E_VALIDATION', {
        message: 'The resolver file cannot be managed',
        details: [`${basename(this.path)}: not a resolver file`],
      });
    return {
      kind: 'file',
      mode: st.mode & 0o7777,
      bytes_b64: (await fs.readFile(this.path)).toString('base64'),
    };
  }

  /** A temporary file renamed over `path`; on a bind mount (EBUSY), `path` rewritten in place. */
  private async writeReplacing(path: string, data: string | Uint8Array, mode: number): Promise<void> {
    const tmp = tempName(path, 'tmp');
    await writeSynced(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, data, mode);
    try {
      await this.rename(tmp, path);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
      // A mount point: the file cannot be replaced, only rewritten (never through a symlink).
      await writeSynced(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW, data, mode);
    }
  }
}

function tempName(path: string, kind: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.viworks.${kind}`);
}

/** Opens with `flags`, writes, sets `mode` exactly (the umask must not change it), syncs. */
async function writeSynced(path: string, flags: number, data: string | Uint8Array, mode: number) {
  const fh = await fs.open(path, flags, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The `nameserver` lines of a resolv.conf (none when it is missing). */
export async function readNameservers(path: string): Promise<string[]> {
  try {
    return parseNameservers(await fs.readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
