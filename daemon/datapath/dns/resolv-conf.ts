// Pushed DNS through /etc/resolv.conf itself (issue #12): the fallback when neither
// systemd-resolved nor resolvconf runs. What was there — a file's exact bytes and mode, or a
// symlink's target (a resolver manager's stub) — is recorded in a small state file BEFORE anything
// changes, and put back byte for byte on disconnect, or at the daemon's next start when it died
// while the session's DNS was in place. Nothing here is secret. Values are checked first: a server
// must be an IP literal and a search domain a host name, so nothing can add an `options` line or a
// resolver of its own; a refused value writes nothing. Every write is a temporary file renamed into
// place, so a crash leaves either the old or the new file, never half of one.
import {
  chmodSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';

export interface DnsSettings {
  readonly servers: readonly string[];
  readonly searchDomains: readonly string[];
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function refuse(detail: string): ViworksError {
  return new ViworksError('VIW_E_VALIDATION', {
    message: 'The pushed DNS settings are invalid',
    details: [detail],
  });
}

/** Throws VIW_E_VALIDATION (naming the field, never the value) unless every value is clean. */
export function checkDnsSettings(s: DnsSettings): void {
  if (s.servers.length < 1 || s.servers.length > 3)
    throw refuse('servers: 1 to 3 (the resolver reads three)');
  for (const [i, a] of s.servers.entries())
    if (isIP(a) === 0) throw refuse(`servers[${i}]: not an IP address`);
  if (s.searchDomains.length > 6) throw refuse('searchDomains: at most 6');
  for (const [i, d] of s.searchDomains.entries()) {
    const name = d.endsWith('.') ? d.slice(0, -1) : d;
    if (name.length < 1 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l)))
      throw refuse(`searchDomains[${i}]: not a domain name`);
  }
}

export function renderResolvConf(s: DnsSettings): string {
  checkDnsSettings(s);
  return [
    '# Written by viworksd for the VPN session; the previous file comes back on disconnect.',
    ...s.servers.map((a) => `nameserver ${a}`),
    ...(s.searchDomains.length > 0 ? [`search ${s.searchDomains.join(' ')}`] : []),
    '',
  ].join('\n');
}

const SavedSchema = Type.Object(
  {
    v: Type.Literal(1),
    path: Type.String({ maxLength: 4096 }),
    original: Type.Union([
      Type.Object(
        {
          kind: Type.Literal('file'),
          mode: Type.Integer(),
          bytes_b64: Type.String({ maxLength: 1_400_000 }),
        },
        closed,
      ),
      Type.Object({ kind: Type.Literal('symlink'), target: Type.String({ maxLength: 4096 }) }, closed),
      Type.Object({ kind: Type.Literal('absent') }, closed),
    ]),
    servers: Type.Array(Type.String({ maxLength: 45 }), { maxItems: 3 }),
  },
  closed,
);
type Saved = ReturnType<typeof savedValidator.parse>;
const savedValidator = strictValidator(SavedSchema);

/** Caps what is saved: a resolv.conf is a few hundred bytes; anything huge is not one. */
const MAX_ORIGINAL_BYTES = 1024 * 1024;

function writeAtomically(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = join(dirname(path), `.${Date.now()}.${process.pid}.viworks.tmp`);
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  chmodSync(tmp, mode); // the umask must not change what is restored
  renameSync(tmp, path);
}

export class ResolvConfManager {
  constructor(private readonly o: { readonly path: string; readonly stateFile: string }) {}

  private saved(): Saved | null {
    let text: string;
    try {
      text = readFileSync(this.o.stateFile, 'utf8');
    } catch {
      return null;
    }
    return savedValidator.parse(JSON.parse(text), 'VIW_E_STATE');
  }

  private snapshot(): Saved['original'] {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(this.o.path);
    } catch {
      return { kind: 'absent' };
    }
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(this.o.path) };
    if (!st.isFile() || st.size > MAX_ORIGINAL_BYTES) throw refuse(`${this.o.path}: not a resolver file`);
    return { kind: 'file', mode: st.mode & 0o7777, bytes_b64: readFileSync(this.o.path).toString('base64') };
  }

  /** Puts the session's DNS in place; the first time, records what was there. */
  apply(s: DnsSettings): void {
    const text = renderResolvConf(s); // checks every value before anything is touched
    const saved = this.saved();
    if (!saved) {
      const record: Saved = { v: 1, path: this.o.path, original: this.snapshot(), servers: [...s.servers] };
      writeAtomically(this.o.stateFile, `${JSON.stringify(record)}\n`, 0o600);
    }
    if (lstatSync(this.o.path, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(this.o.path);
    writeAtomically(this.o.path, text, 0o644);
  }

  /** Whether the session's DNS is in place (a state file exists). */
  applied(): boolean {
    return this.saved() !== null;
  }

  /**
   * Puts back what was there before the first apply, byte for byte, and forgets it. Also what the
   * daemon runs at start, to undo a session whose daemon died. A no-op when nothing is applied.
   */
  restore(): void {
    const saved = this.saved();
    if (!saved) return;
    const o = saved.original;
    if (o.kind === 'file') writeAtomically(this.o.path, Buffer.from(o.bytes_b64, 'base64'), o.mode);
    else if (o.kind === 'symlink') {
      const tmp = join(dirname(this.o.path), `.${Date.now()}.${process.pid}.viworks.link`);
      symlinkSync(o.target, tmp);
      renameSync(tmp, this.o.path); // replaces the session's file in one step
    } else rmSync(this.o.path, { force: true });
    rmSync(this.o.stateFile, { force: true });
  }
}
