// tpm2-tools (Debian `tpm2-tools` 5.4) as subprocesses: the TPM key store's only way to the TPM.
// Why the CLI and not PKCS#11: tpm2-pkcs11 1.9 (Debian 12) has no CKM_ECDH1_DERIVE, so the HPKE
// decap could not run in the TPM; tpm2-tools has tpm2_ecdhzgen (TPM2_ECDH_ZGen), tpm2_sign and the
// rest, talks to any TCTI, and needs no native addon in the daemon.
//
// The TCTI (TPM2TOOLS_TCTI) is `device:/dev/tpmrm0` on a real machine — the kernel's resource
// manager, which flushes what each tool process loaded. A TCTI straight to a TPM (`swtpm:`, `mssim:`,
// `device:/dev/tpm0`) has no resource manager: every tool leaves its transient objects (and
// tpm2_ecdhzgen its session) loaded, and a TPM holds only a few. On such a TCTI this runner flushes
// transient objects and loaded sessions after every command, which is only safe when viworksd is
// the TPM's one user there (tests against swtpm). Commands are serialized (one at a time).
//
// Each child gets a minimal environment (the TCTI, PATH, LANG=C), no stdin, bounded output and a
// timeout; a failure is VIW_E_KEYSTORE naming the tool, its exit code and the TPM response code
// (e.g. 0x98e), never the command's data. An output that is secret (the ECDH value Z) goes through
// a FIFO (readSecretOutput): kernel pipe memory, never a file's contents. (tpm2-tools cannot write
// to stdout, and /dev/stdout cannot be reopened when it is Node's socketpair.)
import { spawn } from 'node:child_process';
import { constants, existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { wipe } from '../../../core/crypto/bytes.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { keystoreError } from '../keystore.js';

/** The kernel's TPM resource manager: the default, and what `auto` looks for. */
export const DEFAULT_TCTI = 'device:/dev/tpmrm0';
export const DEFAULT_TOOLS_DIR = '/usr/bin';
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_STDOUT = 64 * 1024;
const MAX_STDERR = 16 * 1024;
/** The tools this store runs (all multi-call links to /usr/bin/tpm2 on Debian). */
export const TPM2_TOOLS = [
  'tpm2_createprimary',
  'tpm2_create',
  'tpm2_load',
  'tpm2_sign',
  'tpm2_ecdhzgen',
  'tpm2_flushcontext',
] as const;
export type Tpm2Tool = (typeof TPM2_TOOLS)[number];

// device:PATH, swtpm:/mssim: with host=…,port=… (loopback names or addresses), tabrmd/abrmd with
// simple key=value options. Validated because it goes into the child's environment.
const TCTI_RE =
  /^(?:device:\/dev\/tpm(?:rm)?[0-9]{1,3}|(?:swtpm|mssim)(?::(?:host=[A-Za-z0-9.:-]{1,253}|port=[0-9]{1,5})(?:,(?:host=[A-Za-z0-9.:-]{1,253}|port=[0-9]{1,5}))?)?|t?abrmd(?::[A-Za-z0-9_.=,-]{0,200})?)$/;

/** Checks a TCTI string (a daemon flag); VIW_E_CONFIG when it is not one this daemon accepts. */
export function parseTcti(tcti: string): string {
  if (!TCTI_RE.test(tcti)) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: ['tpm2 TCTI: device:/dev/tpmrmN, swtpm:host=H,port=P, mssim:host=H,port=P or tabrmd[:…]'],
    });
  }
  return tcti;
}

/** True when the TCTI goes through a resource manager (nothing to flush after a command). */
export function resourceManaged(tcti: string): boolean {
  return /^device:\/dev\/tpmrm[0-9]+$/.test(tcti) || /^t?abrmd(?::|$)/.test(tcti);
}

/** The device a `device:` TCTI names, or null for network/daemon TCTIs. */
export function tctiDevice(tcti: string): string | null {
  return tcti.startsWith('device:') ? tcti.slice('device:'.length) : null;
}

export interface Tpm2ToolsOptions {
  readonly tcti: string;
  readonly toolsDir?: string;
  readonly timeoutMs?: number;
}

export class Tpm2Tools {
  readonly tcti: string;
  private readonly toolsDir: string;
  private readonly timeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether this runner has cleared what an earlier process may have left on a direct TCTI. */
  private cleared = false;

  constructor(o: Tpm2ToolsOptions) {
    this.tcti = parseTcti(o.tcti);
    this.toolsDir = o.toolsDir ?? DEFAULT_TOOLS_DIR;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Every tool the store needs is installed. */
  installed(): boolean {
    return TPM2_TOOLS.every((t) => existsSync(join(this.toolsDir, t)));
  }

  /**
   * Runs `steps` with the TPM to itself: no other command of this runner interleaves. (On a TCTI
   * without a resource manager, the first call also flushes what an earlier process left.)
   */
  exclusive<T>(steps: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (!this.cleared) {
        this.cleared = true;
        await this.flush();
      }
      return steps();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * One tool; resolves its stdout (the caller wipes it when it is secret). Only inside exclusive().
   * On a TCTI without a resource manager the objects and sessions it loaded are flushed after it.
   */
  async run(tool: Tpm2Tool, args: readonly string[], cwd: string): Promise<Buffer> {
    try {
      return await this.spawnTool(tool, args, cwd);
    } finally {
      if (tool !== 'tpm2_flushcontext') await this.flush();
    }
  }

  /**
   * Runs one tool whose output file is secret: `args` names it as `{out}`, which becomes a FIFO in
   * `cwd` (0600, private directory) that this process is already reading when the tool opens it. The
   * bytes stay in kernel pipe memory; the caller wipes the returned buffer.
   */
  async runWithSecretOutput(tool: Tpm2Tool, args: readonly string[], cwd: string): Promise<Buffer> {
    const fifo = join(cwd, 'out.fifo');
    await mkfifo(fifo);
    // Non-blocking read end first, so the tool's open for writing never waits.
    const fh = await fs.open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await this.run(
        tool,
        args.map((a) => (a === '{out}' ? fifo : a)),
        cwd,
      );
      // The tool has exited: its write end is closed, so reads end at EOF instead of waiting.
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buf = Buffer.alloc(4096);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) {
          wipe(buf);
          break;
        }
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
        if (total > MAX_STDOUT) throw keystoreError(`tpm2: ${tool} output too large`);
      }
      const out = Buffer.concat(chunks);
      for (const c of chunks) wipe(c);
      return out;
    } finally {
      await fh.close();
      await fs.rm(fifo, { force: true });
    }
  }

  private async flush(): Promise<void> {
    if (resourceManaged(this.tcti)) return;
    // -t transient objects, -l loaded sessions: one flag per call (tpm2-tools 5.4).
    for (const flag of ['-t', '-l']) {
      await this.spawnTool('tpm2_flushcontext', [flag], '/').catch(() => undefined);
    }
  }

  private spawnTool(tool: Tpm2Tool, args: readonly string[], cwd: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn(join(this.toolsDir, tool), [...args], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { TPM2TOOLS_TCTI: this.tcti, PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
      });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let overflow = false;
      child.stdout.on('data', (c: Buffer) => {
        outBytes += c.length;
        if (outBytes > MAX_STDOUT) overflow = true;
        else out.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        if (err.length < MAX_STDERR) err += c.toString('latin1');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(keystoreError(`tpm2: ${tool} could not run`, e));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const stdout = Buffer.concat(out);
        for (const c of out) wipe(c);
        if (code === 0 && !overflow) {
          resolve(stdout);
          return;
        }
        wipe(stdout);
        reject(keystoreError(`tpm2: ${tool} failed (${describeFailure(code, signal, err, overflow)})`));
      });
    });
  }
}

function mkfifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/mkfifo', ['-m', '0600', path], { stdio: 'ignore', env: {} });
    child.once('error', (e) => reject(keystoreError('tpm2: mkfifo could not run', e)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(keystoreError('tpm2: mkfifo failed'))));
  });
}

const EXIT_MEANING: Record<number, string> = {
  2: 'bad options',
  3: 'authorization failed',
  4: 'TPM unreachable (TCTI)',
};

/**
 * A short, safe account of a failed tool: exit code, the TPM/ESYS response code and its decoded
 * text (fixed strings from the TSS), nothing from the command's inputs or outputs.
 */
export function describeFailure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  overflow = false,
): string {
  if (overflow) return 'output too large';
  if (signal) return `killed by ${signal} (timeout)`;
  const parts = [`exit ${code}${code !== null && EXIT_MEANING[code] ? `: ${EXIT_MEANING[code]}` : ''}`];
  const rc = /\((0x[0-9a-fA-F]{1,8})\) - ([A-Za-z0-9:() .,'-]{1,120})/.exec(stderr);
  if (rc) parts.push(`rc ${rc[1]!.toLowerCase()} ${rc[2]!.trim()}`);
  else if (/Could not load tcti|Failed to initialize tcti|tcti/i.test(stderr) && code !== 0) {
    parts.push('TCTI not reachable');
  }
  return parts.join('; ');
}
