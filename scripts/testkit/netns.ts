// A two-namespace lab for tests that need real peers on a real network path: a "gateway" and a
// "client" namespace joined by one veth pair, with private /30 addresses that exist only inside the
// namespaces. Nothing is configured in the host's own namespace (the veth is created directly inside
// the namespaces), every process started here is tracked by PID, and `destroy()` removes it all.
// Needs root and iproute2. Reused by the gateway lab (stunnel, OpenVPN, fwknopd).
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const IP = '/usr/sbin/ip';

export interface NetnsEnd {
  /** Namespace name (`viw-gw-<hex>` / `viw-cl-<hex>`). */
  readonly ns: string;
  /** This end's veth interface name (≤ 15 chars). */
  readonly ifname: string;
  /** IPv4 address on the veth, without prefix length. */
  readonly address: string;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** Written to the child's stdin, then closed. Use this for secrets: never put them in argv. */
  readonly input?: string | Uint8Array;
  /** Hard limit; the child is SIGKILLed when it passes. Default 10 s. */
  readonly timeoutMs?: number;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion and collects its output; never rejects (inspect `code`). */
export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 10_000,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
        ...(opts.env ? { env: opts.env } : {}),
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; killed?: boolean; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          timedOut: Boolean(e?.killed),
        });
      },
    );
    // A child that exits without reading its stdin must not crash the test with EPIPE.
    child.stdin?.on('error', () => {});
    if (opts.input === undefined) child.stdin?.end();
    else child.stdin?.end(opts.input);
  });
}

/** Like `run`, but throws with the command's stderr when it does not exit 0. */
export async function runOk(argv: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** A long-running process inside a namespace, with its output kept for assertions. */
export class NsProcess {
  private out = '';
  private exited: Promise<void>;
  exitCode: number | null = null;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const append = (b: Buffer): void => {
      // Keep the last 1 MiB: enough for any test, bounded for a chatty daemon.
      this.out = (this.out + b.toString('utf8')).slice(-1_048_576);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
      child.once('error', () => resolve());
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** stdout and stderr interleaved, as received. */
  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** Waits until `re` matches the output (from `from` on); false on timeout or exit. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (re.test(this.out.slice(from))) return true;
      if (!this.running) return re.test(this.out.slice(from));
      await sleep(50);
    }
    return false;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; always by this process's own PID. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running || this.pid === undefined) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done && this.running) {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(graceMs)]);
    }
  }
}

export interface NetnsPairOptions {
  /** Third octet of 10.213.x.0/30; random by default. */
  readonly subnet?: number;
}

/** Two namespaces joined by a veth pair: `gw` has 10.213.x.1/30, `cl` has 10.213.x.2/30. */
export class NetnsPair {
  readonly gw: NetnsEnd;
  readonly cl: NetnsEnd;
  private readonly procs: NsProcess[] = [];
  private created = false;
  private readonly exitHook = (): void => {
    for (const p of this.procs) if (p.running) p.child.kill('SIGKILL');
    for (const end of [this.gw, this.cl]) spawnSync(IP, ['netns', 'del', end.ns], { stdio: 'ignore' });
  };

  private constructor(opts: NetnsPairOptions) {
    const tag = randomBytes(4).toString('hex');
    const x = opts.subnet ?? randomInt(0, 256);
    this.gw = { ns: `viw-gw-${tag}`, ifname: `vg${tag}`, address: `10.213.${x}.1` };
    this.cl = { ns: `viw-cl-${tag}`, ifname: `vc${tag}`, address: `10.213.${x}.2` };
  }

  /** Creates the namespaces, the veth pair inside them, addresses, and brings lo and veth up. */
  static async create(opts: NetnsPairOptions = {}): Promise<NetnsPair> {
    const pair = new NetnsPair(opts);
    try {
      await pair.setup();
    } catch (err) {
      await pair.destroy();
      throw err;
    }
    return pair;
  }

  private async setup(): Promise<void> {
    const { gw, cl } = this;
    this.created = true;
    // Safety net if the test process dies before `destroy()`: namespaces must not outlive it.
    process.once('exit', this.exitHook);
    await runOk([IP, 'netns', 'add', gw.ns]);
    await runOk([IP, 'netns', 'add', cl.ns]);
    // Both ends are born inside their namespaces: the host namespace never sees them.
    await runOk([
      IP,
      'link',
      'add',
      gw.ifname,
      'netns',
      gw.ns,
      'type',
      'veth',
      'peer',
      'name',
      cl.ifname,
      'netns',
      cl.ns,
    ]);
    for (const end of [gw, cl]) {
      await runOk([IP, '-n', end.ns, 'link', 'set', 'lo', 'up']);
      await runOk([IP, '-n', end.ns, 'addr', 'add', `${end.address}/30`, 'dev', end.ifname]);
      await runOk([IP, '-n', end.ns, 'link', 'set', end.ifname, 'up']);
    }
  }

  /** Runs a command in `ns` to completion. */
  exec(end: NetnsEnd, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run([IP, 'netns', 'exec', end.ns, ...argv], opts);
  }

  /**
   * Starts a long-running command in `ns`. `ip netns exec` execs the command itself, so the child's
   * PID is the program's PID and stopping it needs no process-group or name matching.
   */
  spawn(end: NetnsEnd, name: string, argv: readonly string[]): NsProcess {
    const child = spawn(IP, ['netns', 'exec', end.ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new NsProcess(name, child);
    this.procs.push(p);
    return p;
  }

  /** Sends `payload` (via stdin, never argv) as one UDP datagram from `from` to host:port. */
  async sendUdp(from: NetnsEnd, host: string, port: number, payload: string | Uint8Array): Promise<void> {
    const r = await this.exec(from, [process.execPath, '-e', UDP_SEND_JS, host, String(port)], {
      input: payload,
      timeoutMs: 10_000,
    });
    if (r.code !== 0) throw new Error(`UDP send from ${from.ns} failed: ${r.stderr.trim()}`);
  }

  /**
   * Connects from `from` to host:port and reports `open` only if the listener's greeting arrived,
   * otherwise `timeout` (silently dropped, as behind a DROP policy) or the socket error code.
   */
  async probeTcp(
    from: NetnsEnd,
    host: string,
    port: number,
    opts: { timeoutMs?: number; localAddress?: string } = {},
  ): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? 1500;
    const argv = [process.execPath, '-e', TCP_PROBE_JS, host, String(port), String(timeoutMs)];
    if (opts.localAddress) argv.push(opts.localAddress);
    const r = await this.exec(from, argv, { timeoutMs: timeoutMs + 10_000 });
    return r.stdout.trim() || `failed: ${r.stderr.trim()}`;
  }

  /**
   * Sends two datagrams on a connected UDP socket: `ECONNREFUSED` means the target answered with ICMP
   * port-unreachable (it revealed itself); `silent` means nothing came back, as from a dark host.
   */
  async probeUdp(from: NetnsEnd, host: string, port: number, waitMs = 1500): Promise<string> {
    const argv = [process.execPath, '-e', UDP_PROBE_JS, host, String(port), String(waitMs)];
    const r = await this.exec(from, argv, { timeoutMs: waitMs + 10_000 });
    return r.stdout.trim() || `failed: ${r.stderr.trim()}`;
  }

  /** Starts a TCP listener in `on` that greets each connection with `viworks`; resolves once listening. */
  async listenTcp(on: NetnsEnd, host: string, port: number): Promise<NsProcess> {
    const p = this.spawn(on, `tcp-listener:${port}`, [
      process.execPath,
      '-e',
      TCP_LISTEN_JS,
      host,
      String(port),
    ]);
    if (!(await p.waitFor(/^listening$/m, 10_000))) throw new Error(`listener failed: ${p.output}`);
    return p;
  }

  /** Stops every tracked process, then any other process left inside the two namespaces, then deletes them. */
  async destroy(): Promise<void> {
    if (!this.created) return;
    await Promise.all(this.procs.map((p) => p.stop()));
    for (const end of [this.gw, this.cl]) {
      // Anything still inside a namespace this lab created was started by this lab (e.g. a child
      // of a tracked process); end it by PID before the namespace goes.
      const pids = await run([IP, 'netns', 'pids', end.ns]);
      for (const pid of pids.stdout.split(/\s+/).filter((s) => /^[0-9]+$/.test(s))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await run([IP, 'netns', 'del', end.ns]);
    }
    this.created = false;
    process.off('exit', this.exitHook);
  }
}

// Tiny Node programs run inside a namespace (`node -e SCRIPT arg...`: arguments start at argv[1]).
const UDP_SEND_JS = `const d=require('dgram').createSocket('udp4');const c=[];
process.stdin.on('data',b=>c.push(b)).on('end',()=>d.send(Buffer.concat(c),+process.argv[2],process.argv[1],
e=>{d.close();if(e){console.error(e.message);process.exitCode=1}}));`;
const UDP_PROBE_JS = `const [,h,p,t]=process.argv;const d=require('dgram').createSocket('udp4');
d.on('error',e=>{console.log(e.code||'error');process.exit(0)});d.connect(+p,h,()=>{d.send('probe');
setTimeout(()=>d.send('probe'),300);setTimeout(()=>{console.log('silent');process.exit(0)},+t)});`;
const TCP_PROBE_JS = `const [,h,p,t,l]=process.argv;const s=require('net').connect({host:h,port:+p,localAddress:l});
const done=r=>{console.log(r);s.destroy();process.exit(0)};setTimeout(()=>done('timeout'),+t);
s.on('data',b=>{if(String(b).startsWith('viworks'))done('open')});s.on('error',e=>done(e.code||'error'));`;
const TCP_LISTEN_JS = `const [,h,p]=process.argv;require('net').createServer(s=>{s.on('error',()=>{});s.end('viworks\\n')})
.listen(+p,h,()=>console.log('listening'));`;

/** Names of namespaces that currently exist (to assert that a test left nothing behind). */
export async function listNamespaces(): Promise<string[]> {
  const out = await runOk([IP, 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.length > 0);
}
