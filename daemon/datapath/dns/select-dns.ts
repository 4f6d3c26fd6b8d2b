// Which way the session's pushed DNS goes in on this machine (issue #12), and the one DnsBackend the
// engine holds. Detection, in order:
//
//   systemd-resolved  when it runs: systemd is PID 1 (sd_booted(3): /run/systemd/system/ is a
//                     directory), the unit is active (systemd keeps the symlink
//                     /run/systemd/units/invocation:systemd-resolved.service exactly while it is;
//                     /run/systemd/resolve/ alone is not proof, the unit preserves it after a stop),
//                     its runtime directory /run/systemd/resolve/ exists, and resolvectl is there;
//   resolvconf        when /sbin/resolvconf or /usr/sbin/resolvconf exists — and is not systemd's
//                     resolvconf (a link to resolvectl, which works only while resolved runs);
//   file              otherwise: resolv.conf itself.
//
// The daemon's flag can force a method. Whatever is chosen, undoing follows the state file: it
// names the method that was used, so a restart undoes it even when detection would now pick another.
import { accessSync, constants, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  checkDnsApplyRequest,
  type DnsApplyRequest,
  type DnsBackend,
  type DnsCommandRunner,
  type DnsMethod,
} from './dns-backend.js';
import { type DnsState, DnsStateStore } from './dns-state.js';
import { FileDns, RESOLV_CONF } from './file-dns.js';
import { RESOLVCONF_PATHS, ResolvconfDns } from './resolvconf-dns.js';
import { RESOLVECTL, ResolvedDns } from './resolved-dns.js';

export interface SelectDnsOptions {
  /** The daemon's state directory; the record is `<stateDir>/dns-state.json`. */
  readonly stateDir: string;
  /** The resolv.conf to manage or read (default /etc/resolv.conf; in a container often a bind mount). */
  readonly resolvConfPath?: string;
  /** The daemon's flag: a method, or 'auto' (default) to detect one. */
  readonly method?: DnsMethod | 'auto';
  /** Runs resolvectl / resolvconf (default: execFile, no shell). */
  readonly run?: DnsCommandRunner;
  /** Where detection looks (default '/'); a test passes a fake root. */
  readonly root?: string;
}

export interface DnsDetection {
  readonly method: DnsMethod;
  /** The resolvconf program found (absolute path on the real system), when the method is resolvconf. */
  readonly resolvconf?: string;
}

function isDirectory(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** systemd's own resolvconf is a link to resolvectl. */
function isResolvectlLink(path: string): boolean {
  try {
    if (basename(readlinkSync(path)) === 'resolvectl') return true;
  } catch {
    // not a link
  }
  try {
    return basename(realpathSync(path)) === 'resolvectl';
  } catch {
    return false;
  }
}

export function resolvedRuns(root = '/'): boolean {
  return (
    isDirectory(join(root, 'run/systemd/system')) &&
    lstatSync(join(root, 'run/systemd/units/invocation:systemd-resolved.service'), {
      throwIfNoEntry: false,
    }) !== undefined &&
    isDirectory(join(root, 'run/systemd/resolve')) &&
    isExecutableFile(join(root, RESOLVECTL))
  );
}

/** The resolvconf program to use, or null (none, or only systemd's). */
export function findResolvconf(root = '/'): string | null {
  for (const p of RESOLVCONF_PATHS) {
    const here = join(root, p);
    if (isExecutableFile(here) && !isResolvectlLink(here)) return p;
  }
  return null;
}

export function detectDnsMethod(root = '/'): DnsDetection {
  if (resolvedRuns(root)) return { method: 'systemd-resolved' };
  const resolvconf = findResolvconf(root);
  if (resolvconf) return { method: 'resolvconf', resolvconf };
  return { method: 'file' };
}

/**
 * The DnsBackend for this machine: `apply` through the detected (or forced) method — after undoing
 * a record another method, interface or file left (a session whose daemon died) — and `restore`,
 * `applied`, `serversInUse` by what the state file says was applied.
 */
export function selectDnsBackend(o: SelectDnsOptions): DnsBackend {
  const root = o.root ?? '/';
  const state = new DnsStateStore(o.stateDir);
  const resolvConfPath = o.resolvConfPath ?? RESOLV_CONF;
  const wanted = o.method ?? 'auto';
  const detected: DnsDetection =
    wanted === 'auto'
      ? detectDnsMethod(root)
      : wanted === 'resolvconf'
        ? { method: wanted, resolvconf: findResolvconf(root) ?? missingResolvconf() }
        : { method: wanted };
  const run = o.run;
  const make = (method: DnsMethod, saved?: DnsState): DnsBackend => {
    if (method === 'systemd-resolved') return new ResolvedDns({ state, ...(run ? { run } : {}) });
    if (method === 'resolvconf') {
      const program = saved?.method === 'resolvconf' ? saved.program : (detected.resolvconf ?? '');
      return new ResolvconfDns({ state, program, resolvConfPath, ...(run ? { run } : {}) });
    }
    return new FileDns({ state, path: saved?.method === 'file' ? saved.path : resolvConfPath });
  };
  return new SelectedDns(make(detected.method), (saved) => make(saved.method, saved), state, resolvConfPath);
}

function missingResolvconf(): never {
  throw new ViworksError('VIW_E_PREFLIGHT', {
    message: 'The DNS method resolvconf was asked for, but no resolvconf is installed',
    details: [`none of ${RESOLVCONF_PATHS.join(', ')} (apt-get install resolvconf or openresolv)`],
  });
}

class SelectedDns implements DnsBackend {
  readonly method: DnsMethod;

  constructor(
    private readonly chosen: DnsBackend,
    private readonly undoer: (saved: DnsState) => DnsBackend,
    private readonly state: DnsStateStore,
    private readonly resolvConfPath: string,
  ) {
    this.method = chosen.method;
  }

  async apply(req: DnsApplyRequest): Promise<void> {
    checkDnsApplyRequest(req); // a refusal touches nothing, not even a leftover record
    const saved = await this.state.read();
    const same =
      saved?.method === this.chosen.method &&
      saved.interfaceName === req.interfaceName &&
      (saved.method !== 'file' || saved.path === this.resolvConfPath);
    if (saved && !same) await this.undoer(saved).restore();
    await this.chosen.apply(req);
  }

  async restore(): Promise<void> {
    const saved = await this.state.read();
    if (saved) await this.undoer(saved).restore();
  }

  async applied(): Promise<boolean> {
    return (await this.state.read()) !== null;
  }

  async serversInUse(): Promise<string[]> {
    const saved = await this.state.read();
    return (saved ? this.undoer(saved) : this.chosen).serversInUse();
  }
}
