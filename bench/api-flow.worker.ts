// The client side of bench/api-flow.bench.ts, in its own thread so that its CPU work (Ed25519
// signing, TLS, HPKE open) does not queue behind the server's on one event loop: virtual users run
// the full flow against the server, then a tiny JSON POST against the baseline endpoint, through
// the same pinned HTTPS client. Posts raw per-step samples (ms); the bench prints them.
import { parentPort, workerData } from 'node:worker_threads';
import {
  AddressPool,
  type BenchCredentials,
  type BenchUser,
  bootstrap,
  call,
  desktopFor,
  expectOk,
  login,
  openBootstrap,
  phoneOtp,
  SourceAddress,
  type Target,
  verify,
} from './flow-client.js';
import type { WorkerMessage } from './ts-worker.js';

export interface FlowWorkerInput {
  readonly server: Target;
  readonly baseline: Target;
  readonly users: readonly BenchCredentials[];
  readonly flowMs: number;
  readonly baselineMs: number;
  readonly baselineNewConnectionMs: number;
  readonly flowsPerDesktopAddress: number;
  readonly flowsPerPhoneAddress: number;
}

export interface Phase {
  readonly count: number;
  readonly seconds: number;
  /** Per step, every sample in milliseconds. */
  readonly samples: Record<string, number[]>;
}

export interface FlowWorkerResult {
  readonly flow: Phase;
  readonly keepAlive: Phase;
  readonly newConnection: Phase;
}

interface VirtualUser {
  readonly user: BenchUser;
  readonly desktop: SourceAddress;
  readonly phone: SourceAddress;
}

async function main(input: FlowWorkerInput): Promise<FlowWorkerResult> {
  const pool = new AddressPool();
  const vus: VirtualUser[] = [];
  for (const c of input.users) {
    vus.push({
      user: await desktopFor(input.server, c),
      desktop: new SourceAddress(pool, input.flowsPerDesktopAddress),
      phone: new SourceAddress(pool, input.flowsPerPhoneAddress),
    });
  }

  const flow = async (vu: VirtualUser, rec: Recorder | null) => {
    const t = <T>(step: string, op: () => Promise<T>) => (rec ? rec.time(step, op) : op());
    const from = vu.desktop.next();
    const started = performance.now();
    const txnId = await t('login', () => login(vu.user, from));
    const code = await t('otp', () => phoneOtp(vu.user, txnId, vu.phone.next()));
    const tokens = await t('verify', () => verify(vu.user, txnId, code, from));
    const reply = await t('bootstrap', () => bootstrap(vu.user, tokens, from));
    await t('open', () => openBootstrap(vu.user, reply));
    rec?.add('flow', performance.now() - started);
  };
  await Promise.all(vus.map((vu) => flow(vu, null))); // warm-up: one untimed flow per user
  const flowRec = new Recorder();
  mark('flow');
  const flowRun = await drive(vus.length, input.flowMs, (i) => flow(vus[i]!, flowRec));
  mark('end');

  const echo = async (from: string, headers: Record<string, string>) => {
    const reply = await call<{ echo: unknown }>(input.baseline, '/echo', {
      json: { n: 1 },
      headers,
      localAddress: from,
    });
    if (expectOk(reply, 200, 'baseline').echo !== 1) throw new Error('baseline: wrong answer');
  };
  const from = vus.map(() => pool.take());
  const baselinePhase = async (name: string, ms: number, headers: Record<string, string>) => {
    const rec = new Recorder();
    mark(name);
    const run = await drive(vus.length, ms, (i) => rec.time('request', () => echo(from[i]!, headers)));
    mark('end');
    return { ...run, samples: rec.samples };
  };
  await Promise.all(from.map((a) => echo(a, {}))); // warm-up, and the keep-alive connections open
  const keepAlive = await baselinePhase('keep-alive', input.baselineMs, {});
  const newConnection = await baselinePhase('new-connection', input.baselineNewConnectionMs, {
    connection: 'close',
  });
  return { flow: { ...flowRun, samples: flowRec.samples }, keepAlive, newConnection };
}

/** Tells the bench thread a phase starts ('flow', 'keep-alive', 'new-connection') or ends ('end'). */
function mark(name: string): void {
  parentPort?.postMessage({ mark: name } satisfies WorkerMessage<FlowWorkerResult>);
}

class Recorder {
  readonly samples: Record<string, number[]> = {};
  async time<T>(step: string, op: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const value = await op();
    this.add(step, performance.now() - started);
    return value;
  }
  add(step: string, ms: number): void {
    const list = this.samples[step];
    if (list) list.push(ms);
    else this.samples[step] = [ms];
  }
}

/**
 * Runs `op` back to back on `concurrency` virtual users until `durationMs` has passed; operations
 * in flight at the deadline finish and count. Returns the count and the seconds until the last one.
 */
async function drive(
  concurrency: number,
  durationMs: number,
  op: (vu: number) => Promise<void>,
): Promise<{ count: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, vu) => {
      while (performance.now() < deadline) {
        await op(vu);
        count++;
      }
    }),
  );
  return { count, seconds: (performance.now() - started) / 1000 };
}

if (parentPort) {
  const port = parentPort;
  main(workerData as FlowWorkerInput).then(
    (value) => port.postMessage({ ok: true, value } satisfies WorkerMessage<FlowWorkerResult>),
    (err: unknown) =>
      port.postMessage({
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies WorkerMessage<FlowWorkerResult>),
  );
}
