// viworksd's resident memory, measured on the BUILT daemon (dist/; run `npx tsc -p
// tsconfig.build.json` first: without dist/ this part says so and measures nothing) in two forms:
//  - `tsc`: dist/ as tsc leaves it (one file per module, ~900 of them);
//  - `bundle`: bundled and minified as scripts/build/bundle-viworksd.ts ships it (bundled here into
//    dist/.bench-daemon-PID/ from the current sources, so the figure follows the code);
// each with V8's default heap flags and with DAEMON_V8_FLAGS (what the daemon's launch should pass).
// Points: the real binary (viworksd.js --allow-unprivileged, file key store) idle; a daemon child
// with fakes for the TLS proxy and OpenVPN only (daemon-memory.child.mjs) idle, connected (enroll →
// login → phone OTP → bootstrap → SPA → fake data path against a real backend), idle after the
// session ended, and idle after CONNECTS sessions (a leak across sessions shows as growth).
// Per point: RSS split into anonymous and file-backed pages (/proc/PID/smaps_rollup; the node
// binary's own pages are most of the file part) and, from the child, V8's view (heapUsed,
// heapTotal, new space, external, arrayBuffers, code + bytecode). Printed, never asserted.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VIWORKSD_NODE_FLAGS } from '../core/daemon-node-flags.js';
import { LocalClient } from '../core/localclient/index.js';
import { bundleViworksd } from '../scripts/build/bundle-viworksd.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../server/testing/identity-fixtures.js';
import { stopChild, waitForDaemon } from './daemon-process.js';
import { type Figure, figure } from './figures.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUILT_BIN = join(ROOT, 'dist/daemon/bin/viworksd.js');
const BUILT_DAEMON = join(ROOT, 'dist/daemon/daemon.js');
const CHILD = join(ROOT, 'bench/daemon-memory.child.mjs');
/**
 * Inside the repository, so the bundles' external packages resolve from its node_modules; one per
 * process, so two benches at once do not remove each other's.
 */
const BUNDLE_DIR = join(ROOT, `dist/.bench-daemon-${process.pid}`);
/** What the daemon's launch passes node (core/daemon-node-flags.ts says why each). */
export const DAEMON_V8_FLAGS = VIWORKSD_NODE_FLAGS;
const CONNECTS = 5;
const SETTLE_MS = 500;
const USERNAME = 'benchmem';
const PASSWORD = 'bench memory correct horse 92';

/** One measurement point: the kernel's view (KiB) and, when the child can tell, V8's (bytes). */
export interface MemoryPoint {
  readonly rssKiB: number;
  readonly anonKiB: number;
  readonly fileKiB: number;
  readonly v8?: V8View;
}

interface V8View {
  readonly usage: NodeJS.MemoryUsage;
  readonly spaces: Record<string, { size: number; used: number }>;
  readonly code: { code_and_metadata_size: number; bytecode_and_metadata_size: number };
}

/** Which daemon runs: a real binary and a child entry, both node scripts. */
interface DaemonForm {
  readonly name: 'tsc' | 'bundle';
  readonly bin: string;
  readonly child: string;
}

export interface DaemonMemoryRun {
  readonly form: DaemonForm['name'];
  readonly flags: readonly string[];
  readonly realIdle: MemoryPoint;
  readonly childIdle: MemoryPoint;
  readonly connected: MemoryPoint;
  readonly afterOne: MemoryPoint;
  readonly afterMany: MemoryPoint;
}

/** Part 2 of daemon.bench.ts: prints the tables and returns the figures. */
export async function runDaemonMemory(dir: string): Promise<DaemonMemoryRun[]> {
  if (!existsSync(BUILT_BIN) || !existsSync(BUILT_DAEMON)) {
    console.log(
      '\n  viworksd resident memory: no dist/ (run `npx tsc -p tsconfig.build.json`): not measured',
    );
    return [];
  }
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const forms: DaemonForm[] = [
    { name: 'tsc', bin: BUILT_BIN, child: CHILD },
    {
      name: 'bundle',
      bin: join(BUNDLE_DIR, 'bin/viworksd.js'),
      child: join(BUNDLE_DIR, 'child/daemon-memory.child.js'),
    },
  ];
  const shipped = readFileSync(BUILT_BIN, 'utf8').includes('__viwCreateRequire') ? 'bundle' : 'tsc';
  const bundled = await bundleViworksd(join(ROOT, 'daemon/bin/viworksd.ts'), forms[1]!.bin);
  await bundleViworksd(CHILD, forms[1]!.child);
  console.log(
    `\n  viworksd resident memory, BUILT daemon: tsc = dist/ module by module (dist/daemon/bin/viworksd.js is ` +
      `the ${shipped} form now); bundle = scripts/build/bundle-viworksd.ts (${bundled.inputs} modules, ` +
      `${(bundled.bytes / 1024).toFixed(0)} KiB)`,
  );
  const runs: DaemonMemoryRun[] = [];
  try {
    for (const form of forms) {
      // A backend per form: its per-IP auth rate limit (30 a minute) would refuse a third run.
      const ts = await startTestServer({ mode: 'development' });
      try {
        for (const flags of [[], DAEMON_V8_FLAGS]) {
          const username = `${USERNAME}${runs.length}`;
          const userId = (await createUser(ts, username, PASSWORD)).id;
          const user = { username, phone: await boundPhone(ts, userId) };
          runs.push(await measureOnce(ts, user, join(dir, `mem-${runs.length}`), form, flags));
        }
      } finally {
        await ts.stop();
      }
    }
  } finally {
    rmSync(BUNDLE_DIR, { recursive: true, force: true });
  }
  printRuns(runs);
  return runs;
}

async function measureOnce(
  ts: TestServer,
  user: { readonly username: string; readonly phone: Awaited<ReturnType<typeof boundPhone>> },
  dir: string,
  form: DaemonForm,
  flags: readonly string[],
): Promise<DaemonMemoryRun> {
  const children: ChildProcess[] = [];
  try {
    const realSock = join(dir, 'real.sock');
    const real = spawn(
      process.execPath,
      [
        ...flags,
        form.bin,
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
    await sleep(SETTLE_MS);
    const realIdle = point(real);
    await stopChild(real);

    const sock = join(dir, 'child.sock');
    const memFile = join(dir, 'child-mem.json');
    const child = spawn(process.execPath, [...flags, form.child, sock, join(dir, 'child-state'), memFile], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const ask = v8Asker(child, memFile);
    await waitForDaemon(sock, child);
    await sleep(SETTLE_MS);
    const childIdle = { ...point(child), v8: await ask() };

    const client = new LocalClient({ socketPath: sock });
    await client.enroll({
      backend_url: `https://127.0.0.1:${ts.server.port}`,
      backend_pins: ts.server.banner.backend_pins,
      ca_pem: ts.ca,
      username: user.username,
      password: PASSWORD,
      enrollment_token: await createToken(ts),
    });
    let connected: MemoryPoint | undefined;
    let afterOne: MemoryPoint | undefined;
    for (let n = 1; n <= CONNECTS; n++) {
      await client.login({ password: PASSWORD });
      const pending = await phoneClient(ts).pendingOtp(user.phone, 10);
      if (!pending) throw new Error('no OTP on the phone');
      await client.otp({ otp_code: pending.code });
      const status = await client.connect();
      if (status.state !== 'connected') throw new Error(`daemon reports ${status.state}`);
      if (n === 1) {
        await sleep(SETTLE_MS);
        connected = { ...point(child), v8: await ask() };
      }
      await client.disconnect();
      if (n === 1) {
        await sleep(SETTLE_MS);
        afterOne = { ...point(child), v8: await ask() };
      }
    }
    await sleep(SETTLE_MS);
    const afterMany = { ...point(child), v8: await ask() };
    if (!connected || !afterOne) throw new Error('no connect measured');
    return { form: form.name, flags, realIdle, childIdle, connected, afterOne, afterMany };
  } finally {
    await Promise.all(children.map(stopChild));
  }
}

/**
 * The bench summary's figures: RSS of the shipped form (bundle) with the launch flags, each beside
 * the tsc form with V8's defaults (the daemon as it ran before) measured in the same run.
 */
export function daemonMemoryFigures(runs: readonly DaemonMemoryRun[]): Figure[] {
  const pick = (form: DaemonMemoryRun['form'], tuned: boolean) =>
    runs.find((r) => r.form === form && r.flags.length > 0 === tuned);
  const now = pick('bundle', true);
  const before = pick('tsc', false);
  if (!now || !before) return [];
  const mib = (kib: number) => kib / 1024;
  const baseline = (kib: number) => ({ name: 'tsc dist, V8 defaults (as before)', value: mib(kib) });
  return [
    figure({
      name: 'viworksd RSS idle after a session (fake data path)',
      value: mib(now.afterOne.rssKiB),
      unit: 'MiB',
      baseline: baseline(before.afterOne.rssKiB),
      target: { on: 'value', op: '<=', limit: 60 },
      digits: 1,
    }),
    figure({
      name: 'viworksd RSS connected (fake data path)',
      value: mib(now.connected.rssKiB),
      unit: 'MiB',
      baseline: baseline(before.connected.rssKiB),
      target: { on: 'value', op: '<=', limit: 80 },
      digits: 1,
    }),
  ];
}

function printRuns(runs: readonly DaemonMemoryRun[]): void {
  const mib = (kib: number) => (kib / 1024).toFixed(1).padStart(7);
  const b = (bytes: number | undefined) =>
    bytes === undefined ? '      -' : (bytes / 1048576).toFixed(1).padStart(7);
  for (const r of runs) {
    console.log(`\n  ${r.form}, node flags: ${r.flags.length ? r.flags.join(' ') : '(V8 defaults)'} — MiB`);
    console.log(
      `  ${'point'.padEnd(34)} ${'rss'.padStart(7)} ${'anon'.padStart(7)} ${'file'.padStart(7)} ` +
        `${'heapUsd'.padStart(7)} ${'heapTot'.padStart(7)} ${'newSpc'.padStart(7)} ` +
        `${'extern'.padStart(7)} ${'arrBuf'.padStart(7)} ${'code'.padStart(7)}`,
    );
    const rows: Array<[string, MemoryPoint]> = [
      ['real binary, idle', r.realIdle],
      ['fake data path child, idle', r.childIdle],
      ['connected (1st session)', r.connected],
      ['idle after 1 session', r.afterOne],
      [`idle after ${CONNECTS} sessions`, r.afterMany],
    ];
    for (const [label, p] of rows) {
      const u = p.v8?.usage;
      const code = p.v8 ? p.v8.code.code_and_metadata_size + p.v8.code.bytecode_and_metadata_size : undefined;
      console.log(
        `  ${label.padEnd(34)} ${mib(p.rssKiB)} ${mib(p.anonKiB)} ${mib(p.fileKiB)} ` +
          `${b(u?.heapUsed)} ${b(u?.heapTotal)} ${b(p.v8?.spaces.new_space?.size)} ` +
          `${b(u?.external)} ${b(u?.arrayBuffers)} ${b(code)}`,
      );
    }
    const tag = r.flags.length ? 'tuned' : 'default';
    console.log(
      `  result: daemon_memory form=${r.form} flags=${tag} rss_real_idle_kib=${r.realIdle.rssKiB} ` +
        `rss_child_idle_kib=${r.childIdle.rssKiB} rss_connected_kib=${r.connected.rssKiB} ` +
        `rss_idle_after_session_kib=${r.afterOne.rssKiB} rss_idle_after_${CONNECTS}_sessions_kib=${r.afterMany.rssKiB} ` +
        `target_idle_after_session_kib=${60 * 1024} target_connected_kib=${80 * 1024}`,
    );
  }
}

/** The kernel's view of `child`: VmRSS and its anonymous / file-backed split. */
function point(child: ChildProcess): MemoryPoint {
  const text = readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`no ${name} for pid ${child.pid}`);
    return Number(m[1]);
  };
  const rssKiB = field('Rss');
  const anonKiB = field('Anonymous');
  return { rssKiB, anonKiB, fileKiB: rssKiB - anonKiB };
}

/** Asks the dist child for V8's view (SIGUSR2 → JSON file → "mem" on its stdout). */
function v8Asker(child: ChildProcess, memFile: string): () => Promise<V8View> {
  let waiting: (() => void) | null = null;
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    if (buffered.includes('mem\n')) {
      buffered = buffered.replaceAll('mem\n', '');
      waiting?.();
      waiting = null;
    }
  });
  return () =>
    new Promise<V8View>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the daemon child did not report its memory')), 5000);
      waiting = () => {
        clearTimeout(timer);
        resolve(JSON.parse(readFileSync(memFile, 'utf8')) as V8View);
      };
      child.kill('SIGUSR2');
    });
}
