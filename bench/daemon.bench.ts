// The local daemon as a user's machine sees it:
//  1. `viworks status --json` and `viworks --help` WALL time as whole processes against a real
//     viworksd child, beside the floor of a bare `node -e 0` process start measured in the same run
//     (ratio): the built CLI (dist/) when there is one, else the dev entry through tsx
//     (bench/cli-start.ts says which it measured);
//  2. viworksd's resident memory on the BUILT daemon (bench/daemon-memory.ts): tsc's dist/ and the
//     bundle, V8 defaults and the launch flags; the real binary idle, and a daemon child with fakes
//     for the TLS proxy and OpenVPN only idle, connected (enroll → login → phone OTP → bootstrap →
//     SPA → fake data path against a real backend), idle after one and after five sessions.
// Figures are printed, never asserted.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { measureCliStart } from './cli-start.js';
import { daemonMemoryFigures, runDaemonMemory } from './daemon-memory.js';
import { stopChild, vmRssKiB, waitForDaemon } from './daemon-process.js';

const RUNS = 10;

const ROOT = fileURLToPath(new URL('../', import.meta.url));

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
    await waitForDaemon(realSock, real, 10_000);
    await sleep(500);
    const realIdle = vmRssKiB(real.pid);
    if (realIdle === null) throw new Error(`no VmRSS for pid ${real.pid}`);

    // --- `viworks status --json` and `viworks --help` beside a bare `node -e 0` ---
    const cli = await measureCliStart({ socketPath: realSock, runs: RUNS });
    const s = cli[0];
    if (!s) throw new Error('cli-start: missing figures');

    console.log(
      `  result: daemon status_p50_ms=${s.value?.toFixed(1)} node_floor_p50_ms=${s.baseline?.toFixed(1)} ` +
        `ratio=${s.ratio?.toFixed(2)} rss_dev_idle_kib=${realIdle}`,
    );

    // --- viworksd's resident memory, built daemon (bench/daemon-memory.ts) ---
    const memory = await runDaemonMemory(dir);
    daemonMemoryFigures(memory);
  } finally {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  }
}
