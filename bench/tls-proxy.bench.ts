// The daemon's embedded TLS proxy beside stunnel, on loopback, against the same stunnel TLS 1.3
// server (the gateway's front door) in the same run:
//   throughput  iperf3 -c → {our proxy | stunnel client mode | a naive Node proxy} → TLS 1.3 →
//               stunnel server → iperf3 -s, both directions (-R: gateway → client, the download),
//               with the proxy's CPU seconds per GB moved (steadier than Gbit/s on a shared machine);
//   latency     64-byte echo ping-pong through startTlsProxy, stunnel client mode and a direct Node
//               TLS client (the floor); then a reply split in two small writes, the pattern where
//               Nagle's algorithm on the local socket meets delayed ACKs (why the proxy sets NODELAY).
// iperf3 opens a control and a data connection, and startTlsProxy carries exactly one, so the
// throughput runs give each accepted socket to proxyConnection() with the daemon's own dialer
// (fastGatewayDialer): the same dial, pin and pump code.
// Figures are printed, never asserted. Needs stunnel4 and iperf3 (Debian); skipped without them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { fastGatewayDialer, LOCAL_LISTENER_OPTIONS, startTlsProxy } from '../daemon/datapath/tls-proxy.js';
import { proxyConnection, type TlsProxyOptions } from '../daemon/datapath/tls-proxy-pump.js';
import { NsProcess, run as runCmd } from '../scripts/testkit/netns.js';
import { executable } from '../scripts/testkit/peers.js';
import { freePort } from '../scripts/testkit/ports.js';
import {
  createGatewayTlsFixture,
  type GatewayTlsFixture,
  STUNNEL_BINARIES,
  startStunnel,
  type TestStunnel,
  TLS13_SUITES,
} from '../scripts/testkit/stunnel.js';
import { figure } from './figures.js';
import { type Summary, summarize, tableHeader, tableRow } from './latency.js';

const IPERF3 = '/usr/bin/iperf3';
const UPLOAD_S = 3;
const DOWNLOAD_S = 2;
const PINGS = 1000;
const PING_BYTES = 64;
const SPLIT_PINGS = 40;

type Cleanup = Array<() => Promise<void> | void>;

interface Path {
  readonly label: string;
  readonly port: number;
  /** CPU seconds the proxy has used so far (this process, or stunnel's PID). */
  readonly cpu: () => number;
}

export async function run(): Promise<void> {
  if (!executable(IPERF3) || !STUNNEL_BINARIES.some(executable)) {
    console.log('  skipped: needs iperf3 and stunnel4 (apt-get install iperf3 stunnel4)');
    return;
  }
  const fx = await createGatewayTlsFixture();
  const cleanup: Cleanup = [];
  try {
    await throughput(fx, cleanup);
    await latency(fx, cleanup);
  } finally {
    for (const c of cleanup.reverse()) await c();
  }
}

const proxyOpts = (fx: GatewayTlsFixture, gatewayPort: number): TlsProxyOptions => ({
  gatewayHost: fx.fqdn,
  gatewayAddress: '127.0.0.1',
  gatewayPort,
  caPem: fx.caPem,
  pins: fx.pins,
  connectTimeoutMs: 5000,
});

async function throughput(fx: GatewayTlsFixture, cleanup: Cleanup): Promise<void> {
  const iperfPort = await freePort();
  // --forceflush: iperf3 buffers its banner when stdout is a pipe.
  const iperfd = new NsProcess(
    'iperf3 -s',
    spawn(IPERF3, ['-s', '-B', '127.0.0.1', '-p', String(iperfPort), '--forceflush'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  cleanup.push(() => iperfd.stop());
  if (!(await iperfd.waitFor(/Server listening/, 5000))) throw new Error(`iperf3 -s: ${iperfd.output}`);
  const gw = await stunnelServer(fx, iperfPort, cleanup);

  const ours = await listen(
    createServer(LOCAL_LISTENER_OPTIONS, (s) => {
      const opts = proxyOpts(fx, gw.port);
      proxyConnection(s, opts, undefined, fastGatewayDialer(opts));
    }),
    cleanup,
  );
  const client = await stunnelClient(fx, gw.port, cleanup);
  const naive = await listen(naiveProxy(fx, gw.port), cleanup);
  const paths: Path[] = [
    { label: 'our proxy (proxyConnection)', port: ours, cpu: processCpu },
    { label: 'stunnel 5.68 client mode', port: client.port, cpu: () => pidCpu(client.pid) },
    { label: 'naive Node proxy (pipe, Nagle)', port: naive, cpu: processCpu },
  ];

  console.log('  iperf3 -c → proxy → TLS 1.3 → stunnel → iperf3 -s (loopback, one stream)');
  console.log(
    `  ${'direction'.padEnd(9)} ${'path'.padEnd(31)} ${'Gbit/s'.padStart(7)} ${'CPU s/GB'.padStart(9)}`,
  );
  for (const [direction, seconds, reverse] of [
    ['upload', UPLOAD_S, false],
    ['download', DOWNLOAD_S, true],
  ] as const) {
    const rows = [];
    for (const path of paths) {
      const cpu0 = path.cpu();
      const r = await iperf(path.port, seconds, reverse);
      const cpuPerGb = (path.cpu() - cpu0) / (r.bytes / 1e9);
      rows.push({ ...r, cpuPerGb });
      console.log(
        `  ${direction.padEnd(9)} ${path.label.padEnd(31)} ${r.gbps.toFixed(2).padStart(7)} ${cpuPerGb.toFixed(2).padStart(9)}`,
      );
    }
    const [a, b, c] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    console.log(
      `  ${direction}: ours/stunnel ${(a.gbps / b.gbps).toFixed(2)}x throughput, ${(a.cpuPerGb / b.cpuPerGb).toFixed(2)}x CPU per GB; ours/naive ${(a.gbps / c.gbps).toFixed(2)}x throughput`,
    );
    const stunnel = (value: number) => ({ name: 'stunnel client mode, loopback', value });
    figure({
      name: `TLS proxy throughput ${direction}, loopback`,
      value: a.gbps,
      unit: 'Gbit/s',
      baseline: stunnel(b.gbps),
      target: { on: 'ratio', op: '>=', limit: 1.0 },
    });
    figure({
      name: `TLS proxy CPU per GB ${direction}, loopback`,
      value: a.cpuPerGb,
      unit: 's/GB',
      baseline: stunnel(b.cpuPerGb),
      target: { on: 'ratio', op: '<=', limit: 1.3 },
    });
  }
}

async function latency(fx: GatewayTlsFixture, cleanup: Cleanup): Promise<void> {
  const echo = await listen(
    createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => {});
      s.pipe(s);
    }),
    cleanup,
  );
  const gwEcho = await stunnelServer(fx, echo, cleanup);
  const client = await stunnelClient(fx, gwEcho.port, cleanup);

  const proxy = await startTlsProxy(proxyOpts(fx, gwEcho.port));
  const viaProxy = await openLocal(proxy.port);
  await proxy.ready;
  const viaStunnel = await openLocal(client.port);
  const direct = tlsConnect({
    host: '127.0.0.1',
    port: gwEcho.port,
    servername: fx.fqdn,
    ca: fx.caPem,
    minVersion: 'TLSv1.3',
    ciphers: TLS13_SUITES,
  });
  await once(direct, 'secureConnect');
  direct.setNoDelay(true);

  const width = 38;
  console.log(
    `\n  ${PINGS} x ${PING_BYTES}-byte echo round trips, one in flight (proxy TLS handshake ${proxy.handshakeMs?.toFixed(2)} ms)`,
  );
  console.log(tableHeader(width));
  const rows: Array<[string, Summary]> = [
    ['through startTlsProxy', await pingPong(viaProxy, PINGS)],
    ['through stunnel client mode', await pingPong(viaStunnel, PINGS)],
    ['direct Node TLS client (floor)', await pingPong(direct, PINGS)],
  ];
  for (const [label, s] of rows) console.log(tableRow(label, s, width));
  const [ours, , floor] = rows.map((r) => r[1]) as [Summary, Summary, Summary];
  console.log(
    `  added by the proxy hop: p50 ${(ours.p50 - floor.p50).toFixed(3)} ms, p99 ${(ours.p99 - floor.p99).toFixed(3)} ms`,
  );
  for (const s of [viaProxy, viaStunnel, direct]) s.destroy();
  await proxy.closed;

  // The reply arrives as two small writes 1 ms apart: with Nagle on the socket towards the local
  // client, the second waits for an ACK the client's kernel delays (~40 ms on Linux).
  const splitter = await listen(
    createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => {});
      let pending = 0;
      s.on('data', (b: Buffer) => {
        pending += b.length;
        for (; pending >= PING_BYTES; pending -= PING_BYTES) {
          s.write(Buffer.alloc(PING_BYTES / 2, 1));
          setTimeout(() => s.write(Buffer.alloc(PING_BYTES / 2, 2)), 1);
        }
      });
    }),
    cleanup,
  );
  const gwSplit = await stunnelServer(fx, splitter, cleanup);
  const split = await startTlsProxy(proxyOpts(fx, gwSplit.port));
  const splitOurs = await openLocal(split.port);
  const naive = await listen(naiveProxy(fx, gwSplit.port), cleanup);
  const splitNaive = await openLocal(naive);
  console.log(`\n  ${SPLIT_PINGS} round trips whose reply comes as 2 x ${PING_BYTES / 2} B, 1 ms apart`);
  console.log(tableHeader(width));
  console.log(tableRow('through startTlsProxy (NODELAY)', await pingPong(splitOurs, SPLIT_PINGS), width));
  console.log(tableRow('naive Node proxy (Nagle)', await pingPong(splitNaive, SPLIT_PINGS), width));
  splitOurs.destroy();
  splitNaive.destroy();
  await split.closed;
}

async function stunnelServer(
  fx: GatewayTlsFixture,
  backendPort: number,
  cleanup: Cleanup,
): Promise<TestStunnel> {
  const t = await startStunnel({ mode: 'server', ...fx.primary, backendPort });
  cleanup.push(() => t.stop());
  return t;
}

async function stunnelClient(
  fx: GatewayTlsFixture,
  serverPort: number,
  cleanup: Cleanup,
): Promise<TestStunnel> {
  const t = await startStunnel({ mode: 'client', serverPort, caPem: fx.caPem, serverName: fx.fqdn });
  cleanup.push(() => t.stop());
  return t;
}

async function listen(server: Server, cleanup: Cleanup): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => void server.close());
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return addr.port;
}

/** The notes' reference point: tls.connect + pipe, no pinning, no timeouts, Node's default Nagle. */
function naiveProxy(fx: GatewayTlsFixture, port: number): Server {
  return createServer((local) => {
    const remote = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: fx.fqdn,
      ca: fx.caPem,
      minVersion: 'TLSv1.3',
    });
    local.pipe(remote).pipe(local);
    local.on('error', () => remote.destroy());
    remote.on('error', () => local.destroy());
  });
}

function processCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** utime + stime of a process, from /proc (Linux), in seconds. */
function pidCpu(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function iperf(
  port: number,
  seconds: number,
  reverse: boolean,
): Promise<{ gbps: number; bytes: number }> {
  const argv = [IPERF3, '-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '--json'];
  if (reverse) argv.push('-R');
  const r = await runCmd(argv, { timeoutMs: (seconds + 10) * 1000 });
  const out = JSON.parse(r.stdout || '{}') as {
    error?: string;
    end?: { sum_received?: { bits_per_second?: number; bytes?: number } };
  };
  const sum = out.end?.sum_received;
  if (typeof sum?.bits_per_second !== 'number' || typeof sum.bytes !== 'number')
    throw new Error(`iperf3 failed: ${out.error ?? r.stderr.trim()}`);
  return { gbps: sum.bits_per_second / 1e9, bytes: sum.bytes };
}

function openLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** One message in flight at a time; each sample is write → whole echo received. */
async function pingPong(s: Socket, count: number): Promise<Summary> {
  const msg = Buffer.alloc(PING_BYTES, 0x5a);
  const warmup = Math.min(50, Math.floor(count / 4));
  const samples: number[] = [];
  for (let i = 0; i < count + warmup; i++) {
    const t0 = performance.now();
    const echoed = new Promise<void>((resolve) => {
      let got = 0;
      const onData = (b: Buffer) => {
        got += b.length;
        if (got >= PING_BYTES) {
          s.off('data', onData);
          resolve();
        }
      };
      s.on('data', onData);
    });
    s.write(msg);
    await echoed;
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  return summarize(samples);
}
