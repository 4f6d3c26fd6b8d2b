// Ends sessions nobody is using: past their expiry → 'expired'; no heartbeat (or, before the first
// heartbeat, no activity since creation) for the idle timeout → 'idle_timeout'. Then reconciles:
// a still-valid client certificate of an ended session (ended by a caller that did not pass
// ctx.sessionEnd, or a crash between the two steps) is revoked now. Runs on an unref'd interval;
// each run is bounded, never overlaps the previous one, and reports failures instead of throwing.
import type { ServerConfig } from '../../config.js';
import type { Db } from '../../data/client.js';
import type { CrlPublisher } from '../../pki/crl.js';
import { revokeCertificate } from '../pki/revocations.js';
import { documentOfVersion } from '../policy/resolve.js';
import { endSessions, type SessionEndDeps } from './end-sessions.js';
import { revocationReasonFor } from './session-end-hooks.js';

export interface SweeperDeps {
  readonly db: Db;
  readonly sessionEnd: SessionEndDeps;
  readonly crl: CrlPublisher;
  readonly now: () => Date;
  readonly config: Pick<ServerConfig, 'sessionLifetimeS' | 'idleTimeoutS' | 'dns' | 'requireKillSwitch'>;
}

/** The shortest idle timeout any policy may set (core/api/policy.ts): the sweep's first filter. */
const MIN_IDLE_S = 60;

/** At most this many sessions are ended per kind and run; the next run picks up the rest. */
const BATCH = 200;

export interface SweepResult {
  readonly expired: string[];
  readonly idle: string[];
  /** Serials revoked by reconciliation. */
  readonly revoked: string[];
}

export async function sweepSessions(deps: SweeperDeps): Promise<SweepResult> {
  const now = deps.now();
  // Each session idles out by its own policy's timeout: rows quiet for the shortest possible
  // timeout are candidates, then each is held to its own version's (documents are cached).
  const stale = new Date(now.getTime() - MIN_IDLE_S * 1000);
  const expiredRows = await deps.db.session.findMany({
    where: { endedAt: null, expiresAt: { lte: now } },
    select: { id: true },
    take: BATCH,
  });
  const expired: string[] = [];
  for (const { id } of expiredRows) {
    expired.push(...(await endSessions(deps.sessionEnd, { sessionId: id }, 'expired')));
  }
  const idleRows = await deps.db.session.findMany({
    where: {
      endedAt: null,
      OR: [{ lastHeartbeatAt: { lt: stale } }, { lastHeartbeatAt: null, createdAt: { lt: stale } }],
    },
    select: { id: true, lastHeartbeatAt: true, createdAt: true, policyId: true, policyVersion: true },
    orderBy: { lastHeartbeatAt: 'asc' },
    take: BATCH,
  });
  const idle: string[] = [];
  for (const row of idleRows) {
    const doc = await documentOfVersion(deps, row.policyId, row.policyVersion);
    const quietMs = now.getTime() - (row.lastHeartbeatAt ?? row.createdAt).getTime();
    if (quietMs <= doc.session.idle_timeout_s * 1000) continue;
    idle.push(...(await endSessions(deps.sessionEnd, { sessionId: row.id }, 'idle_timeout')));
  }
  return { expired, idle, revoked: await revokeOrphans(deps, now) };
}

async function revokeOrphans(deps: SweeperDeps, now: Date): Promise<string[]> {
  const orphans = await deps.db.issuedCertificate.findMany({
    where: { revokedAt: null, notAfter: { gt: now }, session: { is: { endedAt: { not: null } } } },
    select: { serial: true, session: { select: { endReason: true } } },
    take: BATCH,
  });
  const revoked: string[] = [];
  for (const o of orphans) {
    const reason = revocationReasonFor(o.session?.endReason ?? 'revoked');
    if (await revokeCertificate({ db: deps.db, crl: deps.crl, now: deps.now }, o.serial, reason)) {
      revoked.push(o.serial);
    }
  }
  return revoked;
}

/** Default cadence: a quarter of the idle timeout, between 5 s and 30 s. */
export function sweepIntervalMs(idleTimeoutS: number): number {
  return Math.min(30_000, Math.max(5_000, (idleTimeoutS * 1000) / 4));
}

export function startSessionSweeper(
  deps: SweeperDeps,
  opts: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepSessions(deps)
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs ?? sweepIntervalMs(deps.config.idleTimeoutS));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
