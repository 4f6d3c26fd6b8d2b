// The local daemon as a user's machine sees it:
//  1. `viworks status --json` WALL time as a whole process (node + tsx + oclif + one local API call,
//     the dev entry cli/bin/dev.ts) against a real viworksd child, beside the floor of a bare
//     `node -e 0` process start measured in the same run (ratio);
//  2. viworksd's resident memory (VmRSS from /proc/<pid>/status): the real binary
//     (daemon/bin/viworksd.ts --allow-unprivileged, file key store) idle, and a daemon child with
//     fakes for the TLS proxy and OpenVPN only (bench/daemon.child.ts) idle and after a full connect
//     (enroll → login → phone OTP → bootstrap → SPA → fake data path) against a real backend.
// Figures are printed, never asserted.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalClient } from '../core/localclient/index.js';
import { startTestServer } from '../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../server/testing/identity-fixtures.js';

const RUNS = 10;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const USERNAME = 'benchd';
const PASSWORD = 'bench daemon correct horse 91';

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-bench-daemon-'));
  const children: ChildProcess[] = [];
  try {
    // --- the real viworksd binary, idle ---
    const realSock = join(dir, 'real.sock');
    const real = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'daemon/bin/viworksd.ts',
        '--allow-unprivileged',
        '--keystore',
        'file',
        '--log-level',
        'error',
        '--socket',
        realSock,
        '--state-dir',
        join(dir, 'real-state'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(real);
    await waitForDaemon(realSock, real);
    await sleep(500);
    const realIdle = vmRssKiB(real);

    // --- floor: a bare node process start ---
    await wall(process.execPath, ['-e', '0']); // warm the page cache
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) floor.push(await wall(process.execPath, ['-e', '0']));

    // --- `viworks status --json` as a whole process (one untimed run warms tsx's cache) ---
    const statusArgs = ['--import', 'tsx', 'cli/bin/dev.ts', 'status', '--json'];
    const env = { ...process.env, VIWORKSD_SOCKET: realSock };
    await wall(process.execPath, statusArgs, env, true);
    const status: number[] = [];
    for (let i = 0; i < RUNS; i++) status.push(await wall(process.execPath, statusArgs, env, true));

    const f = stats(floor);
    const s = stats(status);
    console.log(`  ${RUNS} runs each, wall time of the whole process (spawn → exit)`);
    console.log(
      `  ${'process'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'min ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    console.log(row('node -e 0 (floor)', f));
    console.log(row('viworks status --json (tsx, cli/bin/dev.ts)', s));
    console.log(
      `  ratio: viworks status --json p50 is ${(s.p50 / f.p50).toFixed(1)}x a bare node start ` +
        `(${(s.p50 - f.p50).toFixed(0)} ms over the floor: tsx + oclif + the command + one socket call)`,
    );

    // --- a daemon child with fake TLS proxy / OpenVPN: idle, then after a connect ---
    const ts = await startTestServer({ mode: 'development' });
    try {
      const userId = (await createUser(ts, USERNAME, PASSWORD)).id;
      const phone = await boundPhone(ts, userId);
      const fakeSock = join(dir, 'fake.sock');
      const fake = spawn(
        process.execPath,
        ['--import', 'tsx', 'bench/daemon.child.ts', fakeSock, join(dir, 'fake-state')],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      children.push(fake);
      await waitForDaemon(fakeSock, fake);
      await sleep(500);
      const fakeIdle = vmRssKiB(fake);
      const client = new LocalClient({ socketPath: fakeSock });
      await client.enroll({
        backend_url: `https://127.0.0.1:${ts.server.port}`,
        backend_pins: ts.server.banner.backend_pins,
        ca_pem: ts.ca,
        username: USERNAME,
        password: PASSWORD,
        enrollment_token: await createToken(ts),
      });
      await client.login({ password: PASSWORD });
      const pending = await phoneClient(ts).pendingOtp(phone, 10);
      if (!pending) throw new Error('no OTP on the phone');
      await client.otp({ otp_code: pending.code });
      const connected = await client.connect();
      if (connected.state !== 'connected') throw new Error(`daemon reports ${connected.state}`);
      await sleep(500);
      const fakeConnected = vmRssKiB(fake);
      await client.disconnect();

      const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
      console.log('\n  viworksd resident memory (VmRSS)');
      console.log(`  real binary (--allow-unprivileged, file key store), idle: ${mib(realIdle)}`);
      console.log(`  fake data path child, idle:                             ${mib(fakeIdle)}`);
      console.log(`  fake data path child, after connect (connected):        ${mib(fakeConnected)}`);
      console.log(
        `  ratio: connected / idle RSS = ${(fakeConnected / fakeIdle).toFixed(2)}x ` +
          `(+${mib(fakeConnected - fakeIdle)})`,
      );
      console.log(
        `  result: daemon status_p50_ms=${s.p50.toFixed(1)} status_min_ms=${s.min.toFixed(1)} ` +
          `status_max_ms=${s.max.toFixed(1)} node_floor_p50_ms=${f.p50.toFixed(1)} ` +
          `ratio=${(s.p50 / f.p50).toFixed(2)} rss_idle_kib=${realIdle} rss_fake_idle_kib=${fakeIdle} ` +
          `rss_connected_kib=${fakeConnected}`,
      );
    } finally {
      await ts.stop();
    }
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wall time of one process from spawn to exit, in ms; a non-zero exit is an error. */
function wall(cmd: string, args: string[], env = process.env, json = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${args.join(' ')}: exit ${code}: ${out}${err}`));
      if (json) {
        const state = (JSON.parse(out) as { state?: unknown }).state;
        if (typeof state !== 'string') return reject(new Error(`status --json: no state in ${out}`));
      }
      resolve(ms);
    });
  });
}

async function waitForDaemon(socketPath: string, child: ChildProcess): Promise<void> {
  const client = new LocalClient({ socketPath });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    try {
      await client.status();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

function vmRssKiB(child: ChildProcess): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${child.pid}`);
  return Number(m[1]);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function stats(ms: number[]): { p50: number; min: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

function row(label: string, x: { p50: number; min: number; max: number }): string {
  return `  ${label.padEnd(44)} ${x.p50.toFixed(1).padStart(8)} ${x.min.toFixed(1).padStart(8)} ${x.max.toFixed(1).padStart(8)}`;
}
