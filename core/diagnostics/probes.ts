// Facts any user may read, for the checks in checks.ts: the tun device node, resolv.conf, and the
// names of network interfaces. The daemon uses these beside its own privileged view (`ip` links
// and routes); the CLI uses them alone when the daemon cannot be reached. Each takes its path so
// tests run them on real files in a temp directory.
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { type DnsFacts, TUNNEL_NAME_RE, type TunFacts, type TunnelFacts } from './checks.js';

export const TUN_PATH = '/dev/net/tun';
export const RESOLV_CONF = '/etc/resolv.conf';
export const SYS_CLASS_NET = '/sys/class/net';

/** The nameserver addresses of a resolv.conf text (zone ids dropped, anything else ignored). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*nameserver\s+(\S+)/);
    const addr = m?.[1]?.replace(/%.*$/, '');
    if (addr && (isIPv4(addr) || isIPv6(addr))) out.push(addr);
  }
  return out;
}

export async function tunFacts(path = TUN_PATH, platform = process.platform): Promise<TunFacts> {
  if (platform !== 'linux') return { platform: 'other' };
  try {
    const s = await stat(path);
    return { platform: 'linux', present: true, charDevice: s.isCharacterDevice() };
  } catch {
    return { platform: 'linux', present: false, charDevice: false };
  }
}

export async function dnsFacts(path = RESOLV_CONF): Promise<DnsFacts> {
  let linkTarget: string | null = null;
  try {
    if ((await lstat(path)).isSymbolicLink()) linkTarget = await readlink(path);
  } catch {
    // reported below as unreadable
  }
  try {
    return { readable: true, nameservers: parseResolvConf(await readFile(path, 'utf8')), linkTarget };
  } catch {
    return { readable: false, nameservers: [], linkTarget };
  }
}

/** Tunnel-like interfaces by name only (no routes: reading those is the daemon's job). */
export async function sysfsTunnels(dir = SYS_CLASS_NET, tunnelUp = false): Promise<TunnelFacts> {
  const names = await readdir(dir);
  return {
    interfaces: names.filter((n) => TUNNEL_NAME_RE.test(n)).map((name) => ({ name, kind: 'unknown' })),
    routes: [],
    tunnelUp,
    source: 'sysfs',
  };
}
