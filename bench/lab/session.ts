// The lab bench's hands on one lab: `viworks connect` through the lab driver (the real CLI, typing
// the password and the phone simulator's code), disconnect over the daemon's socket, and an admin
// terminating the live session. The backend allows 30 auth requests a minute per address (login +
// OTP): a connect refused with VIW_E_RATE_LIMITED is retried after a pause (and after clearing the
// challenge the refused attempt left on the phone), and the time lost (the refused attempt included)
// is counted apart so it never enters a figure.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '../../core/api/local.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import type { LocalClient } from '../../core/localclient/index.js';
import { clientEnv } from '../../scripts/lab/driver.js';
import { viworksIn, waitUntil } from '../../scripts/lab/e2e/helpers.js';
import { driverStep, type SelfCommand } from '../../scripts/lab/lab.js';
import type { LabPlan } from '../../scripts/lab/plan.js';
import { repoPath } from '../../scripts/lab/repo.js';
import { readLabState } from '../../scripts/lab/state.js';
import { pidsNamed } from '../../scripts/lab/topology.js';
import { IP, run } from '../../scripts/testkit/netns.js';

const RATE_LIMIT_PAUSE_MS = 5_000;
/** Past this much waiting for one connect, the bench gives up (the window is 60 s). */
const RATE_LIMIT_GIVE_UP_MS = 150_000;
const DOWN_TIMEOUT_MS = 15_000;

export type Timings = Status['timings'];

export interface LabSession {
  readonly plan: LabPlan;
  readonly self: SelfCommand;
  readonly local: LocalClient;
  /** Refused connects and the time they cost (attempt + pause), kept out of every figure. */
  readonly rateLimited: { hits: number; ms: number };
}

export interface ConnectSample {
  /** The `viworks connect` process as the driver saw it: start, password, phone code, connect, exit. */
  readonly wallMs: number;
  /** `lab driver connect-demo` as a whole: the driver's own start-up around the above. */
  readonly driverMs: number;
  readonly timings: Timings;
}

interface DriverConnect {
  readonly code: number;
  readonly json: Record<string, unknown>;
  readonly wall_ms?: number;
}

/** One `viworks connect` that ends connected, retrying only rate-limit refusals. */
export async function connect(b: LabSession): Promise<ConnectSample> {
  const started = performance.now();
  for (;;) {
    const t0 = performance.now();
    const r = JSON.parse(await driverStep(b.plan, b.self, 'connect-demo')) as DriverConnect;
    const driverMs = performance.now() - t0;
    if (r.code === 0 && r.json.state === 'connected') {
      return { wallMs: r.wall_ms ?? driverMs, driverMs, timings: r.json.timings as Timings };
    }
    const code = (r.json.error as { code?: string } | undefined)?.code;
    if (code !== 'VIW_E_RATE_LIMITED' || performance.now() - started > RATE_LIMIT_GIVE_UP_MS) {
      throw new Error(`viworks connect failed (exit ${r.code}): ${JSON.stringify(r.json).slice(0, 800)}`);
    }
    await sleep(RATE_LIMIT_PAUSE_MS);
    await clearStaleChallenge(b.plan);
    b.rateLimited.hits++;
    b.rateLimited.ms += performance.now() - t0;
  }
}

/** The phone simulator (the built one) in the client namespace, as the lab driver runs it; its JSON. */
async function phoneSim(plan: LabPlan, args: readonly string[]): Promise<Record<string, unknown>> {
  const state = readLabState(plan);
  const env = Object.entries(clientEnv(plan)).map(([k, v]) => `${k}=${v}`);
  const argv = [IP, 'netns', 'exec', plan.client.ns, '/usr/bin/env', '-i', ...env, process.execPath];
  argv.push(repoPath('dist/mobile/sim/viworks-phone.js'), ...args, '--server', state.backend.url);
  argv.push('--ca', state.backend.caFile, '--pin', state.backend.pins.primary_b64);
  argv.push('--pin', state.backend.pins.backup_b64, '--state', join(plan.dirs.phone, 'phone.json'), '--json');
  const r = await run(argv, { timeoutMs: 30_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    throw new Error(`phone ${args[0]}: exit ${r.code}: ${r.stderr.trim().slice(-400)}`);
  }
}

/**
 * A login whose verification was refused (rate limit) leaves its challenge on the phone for the OTP
 * lifetime (2 min). The driver asks the phone for a code as soon as it has typed the password, so it
 * would read that stale code before the next login replaces it (VIW_E_OTP_INVALID). The phone
 * denies the leftover challenge, which also takes it off the screen.
 */
async function clearStaleChallenge(plan: LabPlan): Promise<void> {
  const shown = await phoneSim(plan, ['otp']);
  const txn = (shown.otp as { txn_id?: string } | null | undefined)?.txn_id;
  if (txn) await phoneSim(plan, ['deny', '--txn', txn]);
}

/** OpenVPN processes in the client namespace (the daemon's child, or the bench's own). */
export function openvpnPids(plan: LabPlan): Promise<number[]> {
  return pidsNamed(plan.client.ns, 'openvpn');
}

async function down(b: LabSession): Promise<boolean> {
  const s = await b.local.status();
  return s.state !== 'connected' && (await openvpnPids(b.plan)).length === 0;
}

/** The user's disconnect (local API), then until no tunnel is left. */
export async function disconnect(b: LabSession): Promise<void> {
  await b.local.disconnect();
  await waitUntil('the tunnel to go down after disconnect', () => down(b), DOWN_TIMEOUT_MS, 50);
}

export interface RevocationSample {
  /** `viworks admin sessions terminate` as a process (node + oclif + the admin API call). */
  readonly cliMs: number;
  /** From the command's start until the daemon's state left `connected` (pushed on its watch stream). */
  readonly stateMs: number;
  /** From the command's start until that and no OpenVPN process is left in the client namespace. */
  readonly downMs: number;
}

/** Connects, then the admin terminates the live session (inside the client namespace, as in the e2e). */
export async function revokeOnce(b: LabSession): Promise<RevocationSample> {
  await connect(b);
  const wire = (await b.local.status()).session?.session_id ?? '';
  const id = fromWireId('s', wire);
  if (!id) throw new Error(`the daemon reports no session id (${wire || 'none'})`);

  // The watch stream pushes every state change: the moment the daemon leaves `connected` is seen
  // without polling granularity. Its first message is the current (connected) state.
  const watching = new AbortController();
  let t0 = 0;
  const seen: { leftAt: number | null } = { leftAt: null };
  let ready: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const watcher = (async () => {
    try {
      for await (const s of b.local.watch({ signal: watching.signal })) {
        ready();
        if (t0 > 0 && s.state !== 'connected') {
          seen.leftAt = performance.now();
          return;
        }
      }
    } catch {
      // aborted, or the stream ended: the poll below still bounds the figure
    } finally {
      ready();
    }
  })();
  await subscribed;
  try {
    t0 = performance.now();
    const r = await viworksIn(b.plan, ['admin', 'sessions', 'terminate', id]);
    const cliMs = performance.now() - t0;
    if (r.code !== 0) throw new Error(`admin sessions terminate: ${JSON.stringify(r.json).slice(0, 400)}`);
    await waitUntil('the tunnel to go down after terminate', () => down(b), DOWN_TIMEOUT_MS, 20);
    const downMs = performance.now() - t0;
    return { cliMs, stateMs: seen.leftAt === null ? downMs : seen.leftAt - t0, downMs };
  } finally {
    watching.abort();
    await watcher;
  }
}
