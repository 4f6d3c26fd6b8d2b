// A throwaway software TPM 2.0 for tests: Debian's swtpm 0.7 (`swtpm socket --tpm2`) on loopback
// with a fresh state directory, powered on and started (TPM2_Startup(CLEAR)) by swtpm itself, so a
// TPM client reaches it at once through tpm2-tools' swtpm TCTI (libtss2-tcti-swtpm0):
// `swtpm:host=127.0.0.1,port=<port>` (that TCTI talks to the control channel on port + 1, so the
// two ports are adjacent). Stopped by its own PID (SIGTERM, then SIGKILL); its state
// directory is removed. A test process that dies stops it on exit too.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPeers, type PeerCheck } from './peers.js';
import { freePort } from './ports.js';

export const SWTPM = '/usr/bin/swtpm';
/** tpm2-tools' multi-call binary (tpm2_createprimary and the rest link to it). */
export const TPM2_TOOL = '/usr/bin/tpm2';
export const SWTPM_APT = 'swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0';

/** The libtss2 TCTI module for swtpm, wherever the multiarch directory is. */
function swtpmTcti(): string | undefined {
  for (const dir of ['/usr/lib', '/usr/lib64', ...libArchDirs()]) {
    const path = join(dir, 'libtss2-tcti-swtpm.so.0');
    if (existsSync(path)) return path;
  }
  return undefined;
}

function libArchDirs(): string[] {
  try {
    return readdirSync('/usr/lib')
      .filter((d) => /-linux-gnu/.test(d))
      .map((d) => join('/usr/lib', d));
  } catch {
    return [];
  }
}

/** node:test `skip` for tests that need swtpm and tpm2-tools (a failure in CI, see peers.ts). */
export function swtpmPeers(): PeerCheck {
  const tcti = swtpmTcti();
  return needPeers({
    binaries: [SWTPM, TPM2_TOOL, ...(tcti ? [] : ['libtss2-tcti-swtpm.so.0'])],
    apt: SWTPM_APT,
  });
}

export interface TestSwtpm {
  /** For TPM2TOOLS_TCTI / viworksd --tpm2-tcti. */
  readonly tcti: string;
  readonly port: number;
  readonly pid: number;
  /** The TPM's state directory (its NVRAM and persistent state). */
  readonly stateDir: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;
function stopAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of running) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Whether `port` can be bound on loopback right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Two adjacent free ports (server, control). */
async function portPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port < 65535 && (await bindable(port + 1))) return port;
  }
  throw new Error('no two adjacent free ports on loopback');
}

/**
 * swtpm's arguments: a TPM 2.0 on loopback `port` (its control channel on `port + 1`), powered on
 * and started (no init step), its state kept in `stateDir`. Also the lab client's TPM (lab.ts).
 */
export function swtpmArgs(port: number, stateDir: string): string[] {
  return [
    'socket',
    '--tpm2',
    '--server',
    `type=tcp,port=${port},bindaddr=127.0.0.1`,
    '--ctrl',
    `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
    '--flags',
    'not-need-init,startup-clear',
    '--tpmstate',
    `dir=${stateDir}`,
  ];
}

/** Starts swtpm and resolves once its control port accepts; retries when a free port was taken. */
export async function startSwtpm(): Promise<TestSwtpm> {
  stopAllOnExit();
  for (let attempt = 1; ; attempt++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'viw-swtpm-'));
    const port = await portPair();
    const ctrlPort = port + 1;
    const child = spawn(SWTPM, swtpmArgs(port, stateDir), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    running.add(child);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      }
      running.delete(child);
      rmSync(stateDir, { recursive: true, force: true });
    };
    // Only the control port is probed: the server port serves one TPM client at a time.
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < deadline && child.exitCode === null) {
      up = await accepts(ctrlPort);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (up && child.pid) {
      return { tcti: `swtpm:host=127.0.0.1,port=${port}`, port, pid: child.pid, stateDir, stop };
    }
    await stop();
    if (attempt >= 3) throw new Error(`swtpm did not start: ${stderr.trim().slice(0, 500)}`);
  }
}
