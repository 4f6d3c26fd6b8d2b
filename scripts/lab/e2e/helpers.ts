// Helpers for the end-to-end suite: run the real CLIs where their users would (admin commands inside
// the client namespace, which reaches the backend; daemon commands over viworksd's Unix socket),
// probe ports from a given host, read a capture, and scan the client side for leaked secrets.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PolicyDocument } from '../../../core/api/policy.js';
import { defaultPolicyDocument } from '../../../server/services/policy/resolve.js';
import { type ExecResult, IP, run } from '../../testkit/netns.js';
import { needPeers, type PeerCheck } from '../../testkit/peers.js';
import { clientEnv } from '../driver.js';
import type { HostRole, LabPlan } from '../plan.js';
import { repoPath } from '../repo.js';

export interface CliResult {
  readonly code: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

function parseLast(r: ExecResult): CliResult {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    json = { unparsed: r.stdout.slice(-500) };
  }
  return { code: r.code, json, stderr: r.stderr };
}

function envArgs(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** `viworks …--json` inside the client namespace (admin commands need the backend's network). */
export async function viworksIn(plan: LabPlan, args: readonly string[], input?: string, timeoutMs = 120_000) {
  const argv = [IP, 'netns', 'exec', plan.client.ns, '/usr/bin/env', '-i', ...envArgs(clientEnv(plan))];
  argv.push(process.execPath, repoPath('dist/cli/bin/viworks.js'), ...args, '--json');
  return parseLast(await run(argv, { timeoutMs, ...(input === undefined ? {} : { input }) }));
}

/** Runs a command in one lab host's namespace. */
export function inHost(
  plan: LabPlan,
  host: HostRole | 'router',
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
) {
  const ns = host === 'router' ? plan.router.ns : plan[host].ns;
  return run([IP, 'netns', 'exec', ns, ...argv], opts);
}

const TCP_PROBE_JS = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
s.setTimeout(Number(process.argv[3]), () => { console.log('timeout'); s.destroy(); process.exit(0); });
s.on('connect', () => { console.log('open'); s.destroy(); process.exit(0); });
s.on('error', (e) => { console.log(e.code || 'error'); process.exit(0); });`;

/** 'open', 'timeout' (silently dropped: the gateway stays dark) or a socket error code. */
export async function probeTcp(
  plan: LabPlan,
  from: HostRole | 'router',
  host: string,
  port: number,
  timeoutMs = 1500,
) {
  const r = await inHost(
    plan,
    from,
    [process.execPath, '-e', TCP_PROBE_JS, host, String(port), String(timeoutMs)],
    {
      timeoutMs: timeoutMs + 10_000,
    },
  );
  return r.stdout.trim();
}

const HTTP_GET_JS = `
const req = require('node:http').get({ host: process.argv[1], port: Number(process.argv[2]), timeout: 3000 }, (res) => {
  let b = ''; res.on('data', (d) => b += d); res.on('end', () => { console.log(b.trim()); });
});
req.on('timeout', () => { console.log('timeout'); req.destroy(); });
req.on('error', (e) => console.log(e.code || 'error'));`;

export async function httpGet(plan: LabPlan, from: HostRole, host: string, port: number): Promise<string> {
  const r = await inHost(plan, from, [process.execPath, '-e', HTTP_GET_JS, host, String(port)], {
    timeoutMs: 15_000,
  });
  return r.stdout.trim();
}

export async function waitUntil(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  stepMs = 100,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await fn()) return performance.now() - start;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** UDP payloads of a classic pcap file (Ethernet, IPv4) sent to `port`. */
export function udpPayloadsFromPcap(file: string, port: number): Buffer[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const out: Buffer[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    // 1 = Ethernet, 113 = Linux cooked (SLL), 276 = SLL2
    const l2 = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : -1;
    if (l2 < 0 || pkt.length < l2 + 28) continue;
    const ip = pkt.subarray(l2);
    if (ip[0] === undefined || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const ihl = (ip[0] & 0x0f) * 4;
    const udp = ip.subarray(ihl);
    if (udp.readUInt16BE(2) !== port) continue;
    out.push(Buffer.from(udp.subarray(8, udp.readUInt16BE(4))));
  }
  return out;
}

/** Every regular file under `root` (bounded: skips sockets, /proc-like trees and huge files). */
export function* filesUnder(
  root: string,
  skip: readonly string[] = [],
  maxBytes = 8 * 1024 * 1024,
): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const name of entries) {
    const p = join(root, name);
    if (skip.some((s) => p === s || p.startsWith(`${s}/`))) continue;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p, { throwIfNoEntry: false }) as ReturnType<typeof statSync>;
    } catch {
      continue;
    }
    if (!st) continue;
    if (st.isDirectory()) yield* filesUnder(p, skip, maxBytes);
    else if (st.isFile() && st.size <= maxBytes) yield p;
  }
}

/** Files under `roots` that contain any of `needles` (as bytes). */
export function filesContaining(
  roots: readonly string[],
  needles: readonly Buffer[],
  skip: readonly string[] = [],
): string[] {
  const hits: string[] = [];
  for (const root of roots)
    for (const f of filesUnder(root, skip)) {
      let data: Buffer;
      try {
        data = readFileSync(f);
      } catch {
        continue;
      }
      if (needles.some((n) => n.length > 0 && data.includes(n))) hits.push(f);
    }
  return hits;
}

export interface CapturedPacket {
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  /** IP protocol / IPv6 next header (6 TCP, 17 UDP, 58 ICMPv6…). */
  readonly proto: number;
  readonly dport: number | null;
  /** ICMPv6 type (neighbour discovery: 133–136), else null. */
  readonly icmp6Type: number | null;
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Every IPv4 and IPv6 packet of a classic pcap file (Ethernet or Linux cooked), addresses and ports. */
export function packetsFromPcap(file: string): CapturedPacket[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const l2 = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : -1;
  const out: CapturedPacket[] = [];
  let off = 24;
  while (off + 16 <= buf.length && l2 >= 0) {
    const incl = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = pkt.subarray(l2);
    const version = (ip[0] ?? 0) >> 4;
    if (version === 4 && ip.length >= 20) {
      const ihl = (ip[0]! & 0x0f) * 4;
      const proto = ip[9]!;
      const l4 = ip.subarray(ihl);
      out.push({
        family: 4,
        src: [...ip.subarray(12, 16)].join('.'),
        dst: [...ip.subarray(16, 20)].join('.'),
        proto,
        dport: (proto === 6 || proto === 17) && l4.length >= 4 ? l4.readUInt16BE(2) : null,
        icmp6Type: null,
      });
    } else if (version === 6 && ip.length >= 40) {
      const proto = ip[6]!;
      const l4 = ip.subarray(40);
      out.push({
        family: 6,
        src: ipv6Text(ip.subarray(8, 24)),
        dst: ipv6Text(ip.subarray(24, 40)),
        proto,
        dport: (proto === 6 || proto === 17) && l4.length >= 4 ? l4.readUInt16BE(2) : null,
        icmp6Type: proto === 58 && l4.length >= 1 ? l4[0]! : null,
      });
    }
  }
  return out;
}

/**
 * tcpdump (immediate mode: every packet written as it arrives) on `ifname` in the router's
 * namespace, into `file`; resolves once the capture is open. stop() ends it and waits.
 */
export async function startCapture(
  plan: LabPlan,
  ifname: string,
  file: string,
  filter: readonly string[] = [],
): Promise<{ stop(): Promise<void> }> {
  const capture = spawn(
    IP,
    [
      'netns',
      'exec',
      plan.router.ns,
      '/usr/bin/tcpdump',
      '--immediate-mode',
      '-U',
      '-n',
      '-i',
      ifname,
      '-w',
      file,
      ...filter,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${log}`)), 15_000);
    capture.stderr?.on('data', (b: Buffer) => {
      log += b.toString('utf8');
      if (log.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const exited = new Promise((resolve) => capture.once('exit', resolve));
  return {
    stop: async () => {
      capture.kill('SIGINT');
      await exited;
    },
  };
}

/** The server's default document with the lab's resolver and search domain, with `patch` applied. */
export function policyDocument(plan: LabPlan, patch: (d: PolicyDocument) => void = () => {}): string {
  const d = defaultPolicyDocument({
    sessionLifetimeS: 8 * 3600,
    idleTimeoutS: 900,
    dns: { servers: [plan.dns.tunnelResolver], searchDomains: [plan.dns.searchDomain] },
    requireKillSwitch: false,
  });
  patch(d);
  return JSON.stringify(d);
}

/** What every lab test needs: the gateway's daemons and its sshd (Debian's packages), as root. */
const LAB_BINARIES = ['/usr/sbin/fwknopd', '/usr/bin/stunnel', '/usr/sbin/openvpn', '/usr/sbin/sshd'];
const LAB_APT = 'fwknop-server stunnel4 openvpn openssh-server';

/** The lab's own peers plus those of one test file (`binaries`, and the apt packages that bring them). */
export function needLabPeers(own: { readonly binaries: readonly string[]; readonly apt: string }): PeerCheck {
  return needPeers({
    binaries: [...LAB_BINARIES, ...own.binaries],
    root: true,
    apt: `${LAB_APT} ${own.apt}`,
  });
}
