// A REAL viworksd process for tests that look at it from outside (procfs, strace, its memory):
// each daemon in its own directory under one temporary root, started from the sources through tsx,
// with the file key store and --allow-unprivileged; `prefix` runs it under another program
// (runuser, strace). `stopAll` kills what is left (by the PIDs started here) and removes the root.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'viworksd.ts');
const ROOT = join(dirname(BIN), '..', '..');

export interface ViworksdProcess {
  readonly child: ChildProcess;
  readonly socket: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export class ViworksdProcesses {
  readonly dir = mkdtempSync(join(tmpdir(), 'viw-daemon-'));
  readonly children = new Set<ChildProcess>();

  start(name: string, opts: { prefix?: string[]; owner?: number } = {}): ViworksdProcess {
    const home = join(this.dir, name);
    mkdirSync(join(home, 'run'), { recursive: true, mode: 0o755 });
    mkdirSync(join(home, 'state'), { mode: 0o700 });
    if (opts.owner !== undefined) {
      chmodSync(this.dir, 0o755);
      for (const d of [home, join(home, 'run'), join(home, 'state')]) chownSync(d, opts.owner, opts.owner);
    }
    const socket = join(home, 'run', 'viworksd.sock');
    const argv = [
      process.execPath,
      '--import',
      'tsx',
      BIN,
      '--socket',
      socket,
      '--state-dir',
      join(home, 'state'),
      '--keystore',
      'file',
      '--allow-unprivileged',
    ];
    const [cmd, ...args] = [...(opts.prefix ?? []), ...argv];
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    this.children.add(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, socket, exited, stderr: () => stderr };
  }

  /** A process this test started besides the daemons (strace, a control), killed by stopAll too. */
  track(child: ChildProcess): void {
    this.children.add(child);
  }

  stopAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(pred: () => boolean, what: string, ms = 30_000, log = ''): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const socketUp = (d: ViworksdProcess) => existsSync(d.socket) && statSync(d.socket).isSocket();
