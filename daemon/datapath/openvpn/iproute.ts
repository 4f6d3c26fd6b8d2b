// Read-only views of links and routes through iproute2's JSON output (`ip -j`), optionally inside a
// named network namespace (`ip -n <ns>`, used by the tests' lab; the daemon runs in the host's).
// Nothing here changes the system.
import { execFile } from 'node:child_process';

export const IP_BINARY = '/usr/sbin/ip';
/** The only PATH children of the daemon get. */
export const SAFE_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const NETNS_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface IpOptions {
  /** A named network namespace to look into instead of the daemon's own. */
  readonly netns?: string;
  /** iproute2's `ip`; default /usr/sbin/ip. */
  readonly ipPath?: string;
}

export interface IpLink {
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly link_type?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

export interface IpRoute {
  readonly dst: string;
  readonly dev?: string;
  readonly gateway?: string;
  readonly type?: string;
  readonly table?: string;
}

export function assertNetnsName(name: string): void {
  if (!NETNS_RE.test(name)) throw new RangeError('invalid network namespace name');
}

export interface ExecOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with a minimal environment and a hard timeout; never rejects (see `code`). */
export function execQuiet(file: string, args: readonly string[], timeoutMs = 5000): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: { PATH: SAFE_PATH }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? Number((err as { code: number }).code)
            : -1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function ipArgs(opts: IpOptions, args: readonly string[]): string[] {
  if (opts.netns !== undefined) {
    assertNetnsName(opts.netns);
    return ['-n', opts.netns, '-j', ...args];
  }
  return ['-j', ...args];
}

async function ipJson<T>(opts: IpOptions, args: readonly string[]): Promise<T[]> {
  const r = await execQuiet(opts.ipPath ?? IP_BINARY, ipArgs(opts, args));
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim().slice(0, 200)}`);
  const text = r.stdout.trim();
  if (text === '') return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error(`ip ${args.join(' ')}: unexpected output`);
  return value as T[];
}

/** Every link with details (`ip -j -d link show`). */
export function listLinks(opts: IpOptions = {}): Promise<IpLink[]> {
  return ipJson<IpLink>(opts, ['-d', 'link', 'show']);
}

/** The main table's routes of one family. */
export function listRoutes(family: 4 | 6, opts: IpOptions = {}): Promise<IpRoute[]> {
  return ipJson<IpRoute>(opts, [`-${family}`, 'route', 'show']);
}

/**
 * The kernel's answer for one destination (`ip route get`, which follows policy rules too): the
 * route, or null when the destination is unreachable (no route at all).
 */
export async function routeGet(destination: string, opts: IpOptions = {}): Promise<IpRoute | null> {
  const r = await execQuiet(opts.ipPath ?? IP_BINARY, ipArgs(opts, ['route', 'get', destination]));
  if (r.code !== 0) {
    if (/unreachable|No route to host/i.test(r.stderr)) return null;
    throw new Error(`ip route get failed: ${r.stderr.trim().slice(0, 200)}`);
  }
  const value: unknown = JSON.parse(r.stdout);
  const first = Array.isArray(value) ? (value[0] as IpRoute | undefined) : undefined;
  if (!first) throw new Error('ip route get: unexpected output');
  return first.type === 'unreachable' || first.type === 'prohibit' || first.type === 'blackhole'
    ? null
    : first;
}
