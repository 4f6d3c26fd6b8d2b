// Continuous evaluation (issue #14): every live session is evaluated again against the policy that
// applies to its user NOW whenever something that decides access changes — a new policy version,
// an assignment, a group membership (ctx.policyWatch.changed, raised by the admin services, and
// seen by the other backend instances through a shared epoch in the KV store) — and when a
// schedule window of a live session's policy opens or closes. A session no longer allowed is ended
// (reason `policy`: its certificate is revoked, the gateway disconnects it, the client hears it on
// its event stream); one still allowed under another version is re-tagged. A lower session lifetime
// applies to live sessions too: the expiry moves to creation + the lifetime (never later), and a
// session already older than that is ended. Target: within 10 s. Each run also marks pending policy
// changes past their expiry (admin-changes.ts expireDue), so that event is not left to the next
// reader of the queue.
import { randomUUID } from 'node:crypto';
import type { PolicyDocument } from '../../../core/api/policy.js';
import type { AppContext } from '../../context.js';
import { endSessions } from '../client/end-sessions.js';
import { sessionPolicyOf } from '../client/session-policy.js';
import { expireDue } from './admin-changes.js';
import { evaluatePolicy, nextScheduleChange } from './evaluate.js';
import { gatherFacts } from './facts.js';
import { type EffectivePolicy, effectivePolicyFor, policyTag } from './resolve.js';

export type WatcherDeps = Pick<
  AppContext,
  'db' | 'geo' | 'config' | 'kv' | 'sessionEnd' | 'audit' | 'now' | 'policyWatch' | 'gatewayControl'
>;

/** The shared epoch other instances poll: bumped on every change signal. */
const EPOCH_KEY = 'policy:epoch';
const EPOCH_TTL_MS = 30 * 86_400_000;
/** How often an instance looks at the shared epoch and the next schedule boundary. */
export const WATCH_POLL_MS = 2000;
/** Every live session is looked at this often even without a signal. */
const FULL_PASS_MS = 60_000;

export interface Reevaluation {
  readonly checked: number;
  /** Wire-less session ids ended, with the rule that denied each. */
  readonly ended: ReadonlyArray<{ readonly sessionId: string; readonly denial: string }>;
  readonly retagged: readonly string[];
  /** Sessions whose expiry moved earlier (a lower lifetime), the ids. */
  readonly shortened: readonly string[];
  /** The next moment a live session's schedule changes its answer (null: none within 8 days). */
  readonly nextBoundary: Date | null;
}

/** When a session started at `createdAt` must end under `doc`: never later than it already would. */
export function policyExpiry(
  s: { readonly createdAt: Date; readonly expiresAt: Date },
  doc: PolicyDocument,
): Date {
  const capped = s.createdAt.getTime() + doc.session.lifetime_s * 1000;
  return capped < s.expiresAt.getTime() ? new Date(capped) : s.expiresAt;
}

interface Ending {
  readonly sessionId: string;
  readonly deviceId: string;
  readonly tag: string;
  readonly code: string | null;
  readonly denial: string;
}

/** Ends one session for its policy, audited as policy.session_end; true when this call ended it. */
async function endForPolicy(deps: WatcherDeps, e: Ending, reason: string, traceId: string) {
  const done = await endSessions(deps.sessionEnd, { sessionId: e.sessionId }, 'policy', { traceId });
  if (done.length === 0) return false;
  await deps.audit.record({
    component: 'backend',
    action: 'policy.session_end',
    result: 'denied',
    severity: 'warning',
    session_id: e.sessionId,
    device_id: e.deviceId,
    policy_id: e.tag,
    trace_id: traceId,
    error_code: e.code,
    error_msg: `${e.denial} (after ${reason})`.slice(0, 250),
  });
  return true;
}

export async function reevaluateSessions(deps: WatcherDeps, reason: string): Promise<Reevaluation> {
  const now = deps.now();
  const traceId = randomUUID();
  const live = await deps.db.session.findMany({
    where: { endedAt: null, expiresAt: { gt: now } },
    include: {
      device: { select: { keyProtection: true, clientVersion: true } },
      gateway: { select: { name: true } },
    },
  });
  const byUser = new Map<string, EffectivePolicy>();
  const ended: Array<{ sessionId: string; denial: string }> = [];
  const retagged: string[] = [];
  const shortened: string[] = [];
  let nextBoundary: Date | null = null;
  for (const s of live) {
    let effective = byUser.get(s.userId);
    if (!effective) {
      effective = await effectivePolicyFor(deps, s.userId);
      byUser.set(s.userId, effective);
    }
    const facts = await gatherFacts(deps, {
      userId: s.userId,
      // The version the daemon reported with this session's login (auth v5); older sessions have
      // none recorded and are judged by the device's.
      device: {
        keyProtection: s.device.keyProtection,
        clientVersion: s.clientVersion ?? s.device.clientVersion,
      },
      sourceIp: s.sourceIp,
      hardened: s.hardened,
      gateway: s.gateway.name,
      at: now,
    });
    const verdict = evaluatePolicy(effective.document, facts);
    const tag = policyTag(effective.ref);
    const session = { sessionId: s.id, deviceId: s.deviceId, tag };
    if (!verdict.allowed) {
      const denial = verdict.denial!;
      if (await endForPolicy(deps, { ...session, code: verdict.code, denial }, reason, traceId))
        ended.push({ sessionId: s.id, denial });
      continue;
    }
    const expiresAt = policyExpiry(s, effective.document);
    if (expiresAt <= now) {
      const denial = `session lifetime: older than the policy's ${effective.document.session.lifetime_s} s`;
      if (await endForPolicy(deps, { ...session, code: null, denial }, reason, traceId))
        ended.push({ sessionId: s.id, denial });
      continue;
    }
    const retag = s.policyId !== effective.ref.policy_id || s.policyVersion !== effective.ref.version;
    if (retag) {
      // The gateway first: the row says which version is in force only once the node has it.
      const policy = sessionPolicyOf(effective.ref, effective.document);
      try {
        await deps.gatewayControl.applySessionPolicy({
          gatewayId: s.gatewayId,
          sessionId: s.id,
          expiresAt,
          policy: { id: policy.id, version: policy.version, networks: policy.networks },
          traceId,
        });
      } catch (err) {
        // Fail closed: a session whose narrower networks cannot reach its gateway is ended.
        const denial = `the gateway did not take the new policy version (${err instanceof Error ? err.name : 'error'})`;
        if ((await endSessions(deps.sessionEnd, { sessionId: s.id }, 'policy', { traceId })).length > 0)
          ended.push({ sessionId: s.id, denial });
        continue;
      }
    }
    const shorter = expiresAt < s.expiresAt;
    if (retag || shorter) {
      // The row's expiry is the one the heartbeat answers, the sweeper ends at and tokens live to.
      await deps.db.session.update({
        where: { id: s.id },
        data: { policyId: effective.ref.policy_id, policyVersion: effective.ref.version, expiresAt },
      });
      if (shorter) shortened.push(s.id);
    }
    if (retag) {
      retagged.push(s.id);
      await deps.audit.record({
        component: 'backend',
        action: 'policy.session_update',
        result: 'success',
        session_id: s.id,
        device_id: s.deviceId,
        policy_id: tag,
        trace_id: traceId,
      });
    }
    const boundary = nextScheduleChange(effective.document, now);
    if (boundary && (!nextBoundary || boundary < nextBoundary)) nextBoundary = boundary;
  }
  return { checked: live.length, ended, retagged, shortened, nextBoundary };
}

/**
 * Runs reevaluateSessions on every change signal (at once, locally; other instances within
 * WATCH_POLL_MS through the shared epoch) and at each schedule boundary. Runs never overlap; a
 * signal during a run schedules one more run.
 */
export function startSessionWatcher(
  deps: WatcherDeps,
  log: { info(msg: string): void; error(obj: unknown, msg: string): void },
  opts: { pollMs?: number } = {},
): { stop(): void; runNow(reason: string): Promise<void> } {
  let running: Promise<void> | null = null;
  let again: string | null = null;
  let seenEpoch: string | null = null;
  let nextBoundary: Date | null = null;
  let stopped = false;
  let lastRunAt = 0;

  const run = (reason: string): Promise<void> => {
    if (running) {
      again = reason;
      return running;
    }
    running = (async () => {
      lastRunAt = deps.now().getTime();
      try {
        const r = await reevaluateSessions(deps, reason);
        nextBoundary = r.nextBoundary;
        if (r.ended.length > 0 || r.retagged.length > 0 || r.shortened.length > 0)
          log.info(
            `policy: re-evaluated ${r.checked} session(s) after ${reason}: ${r.ended.length} ended, ${r.retagged.length} re-tagged, ${r.shortened.length} shortened`,
          );
      } catch (err) {
        log.error({ err }, 'policy: session re-evaluation failed');
      }
      try {
        // The system expires them (no actor); no request, so no source address.
        await expireDue(deps, { traceId: randomUUID(), ip: '' });
      } catch (err) {
        log.error({ err }, 'policy: expiring pending changes failed');
      } finally {
        running = null;
        if (again && !stopped) {
          const next = again;
          again = null;
          void run(next);
        }
      }
    })();
    return running;
  };

  const unsubscribe = deps.policyWatch.subscribe(
    (reason) => {
      // Tell the other instances first, then run here without waiting for the poll.
      deps.kv
        .incr(EPOCH_KEY, EPOCH_TTL_MS)
        .then((epoch) => {
          seenEpoch = String(epoch);
        })
        .catch((err: unknown) => log.error({ err }, 'policy: could not publish the change'));
      void run(reason);
    },
    (at) => {
      if (!nextBoundary || at < nextBoundary) nextBoundary = at;
    },
  );

  const timer = setInterval(() => {
    void (async () => {
      const epoch = await deps.kv.get(EPOCH_KEY).catch(() => null);
      if (epoch !== null && epoch !== seenEpoch) {
        const first = seenEpoch === null;
        seenEpoch = epoch;
        if (!first) return run('a change on another instance');
      }
      if (nextBoundary && nextBoundary <= deps.now()) {
        nextBoundary = null;
        return run('a schedule boundary');
      }
      // A full pass now and then catches a signal that was lost (a KV outage, a crashed run); a
      // clock stepped back (NTP) must not hold it off until the clock catches up.
      const sinceLastRun = deps.now().getTime() - lastRunAt;
      if (sinceLastRun >= FULL_PASS_MS || sinceLastRun < 0) return run('the periodic pass');
    })();
  }, opts.pollMs ?? WATCH_POLL_MS);
  timer.unref();
  // The first run finds the schedules of sessions that outlived a restart.
  void run('start');
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
    },
    runNow: run,
  };
}
