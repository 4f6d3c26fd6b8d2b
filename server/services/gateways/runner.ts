// Runs one control command with the policy around ssh-exec: up to 3 attempts, with exponential
// backoff and jitter, only for failures before the command started (every verb is idempotent, but
// a command the node did run and answered is never repeated); every attempt audited
// (component 'gateway', action `gateway.<verb>`, cmd = verb, rc, duration_ms, result, error_code);
// a host key that does not match its pin audited once more as critical. Neither the stdin document
// nor any key is ever a fact here.
import { randomInt } from 'node:crypto';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { GatewayReply } from '../../../core/gateway/control.js';
import type { AuditService } from '../audit/service.js';
import type { ControlRequest } from './request.js';
import { type ExecOutcome, type ExecTimeouts, type SshTarget, sshExec, timeoutsFor } from './ssh-exec.js';
import type { SshConnectionPool } from './ssh-pool.js';

export interface RetryPolicy {
  readonly attempts: number;
  /** First backoff; doubles each retry, plus up to the same again in jitter. */
  readonly baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250 };

export interface RunnerDeps {
  readonly audit: AuditService;
  /** The control key file, read per connection (wiped after the handshake). */
  readonly privateKey: () => Buffer;
  /** Persistent connections, one per gateway; without it every command makes its own connection. */
  readonly pool?: SshConnectionPool;
  readonly retry?: RetryPolicy;
  readonly timeouts?: (req: ControlRequest) => ExecTimeouts;
  /** Aborted at shutdown: a retry waiting for its backoff gives up at once. */
  readonly signal?: AbortSignal;
}

export interface GatewayRef extends SshTarget {
  readonly name: string;
}

/** Audit facts that tie a command to what it was for (never its stdin). */
export interface CommandContext {
  readonly device_id?: string | null;
  readonly session_id?: string | null;
  readonly trace_id?: string | null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

async function auditAttempt(
  deps: RunnerDeps,
  gw: GatewayRef,
  req: ControlRequest,
  outcome: ExecOutcome,
  durationMs: number,
  facts: CommandContext,
): Promise<void> {
  // The poller reads logs every round (audit + three data-plane sources): a successful read is no
  // news — what it read becomes events of its own. Failures are audited like any other verb.
  if (outcome.ok && req.verb === 'pull_logs') return;
  await deps.audit.record({
    component: 'gateway',
    action: `gateway.${req.verb}`,
    result: outcome.ok ? 'success' : outcome.code === 'VIW_E_GATEWAY_HOSTKEY' ? 'denied' : 'error',
    cmd: req.verb,
    rc: outcome.rc,
    duration_ms: Math.max(0, Math.round(durationMs)),
    dst_port: gw.port,
    ...(/^[0-9A-Fa-f.:]+$/.test(gw.host) ? { dst_ip: gw.host } : {}),
    ...(outcome.ok ? {} : { error_code: outcome.code, error_msg: `${gw.name}: ${outcome.detail}` }),
    ...facts,
  });
  if (!outcome.ok && outcome.code === 'VIW_E_GATEWAY_HOSTKEY') {
    await deps.audit.record({
      component: 'gateway',
      action: 'gateway.hostkey_mismatch',
      result: 'denied',
      severity: 'critical',
      cmd: req.verb,
      dst_port: gw.port,
      error_code: 'VIW_E_GATEWAY_HOSTKEY',
      error_msg: `${gw.name}: the SSH host key does not match the pinned fingerprint`,
      ...facts,
    });
  }
}

/** Runs the request; resolves with the node's reply, or throws the gateway error of the last attempt. */
export async function runControl(
  deps: RunnerDeps,
  gw: GatewayRef,
  req: ControlRequest,
  facts: CommandContext = {},
): Promise<GatewayReply> {
  const policy = deps.retry ?? DEFAULT_RETRY;
  let last: ExecOutcome | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const started = performance.now();
    const timeouts = deps.timeouts?.(req) ?? timeoutsFor(req.verb);
    last = deps.pool
      ? await deps.pool.exec(gw, deps.privateKey, req, timeouts)
      : await sshExec(gw, deps.privateKey(), req, timeouts);
    await auditAttempt(deps, gw, req, last, performance.now() - started, facts);
    if (last.ok) return last.reply;
    if (!last.retryable || attempt === policy.attempts || deps.signal?.aborted) break;
    const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
    await sleep(backoff + randomInt(0, backoff + 1), deps.signal);
  }
  const failure = last as Exclude<ExecOutcome, { ok: true }>;
  throw new ViworksError(failure.code, { details: [`${gw.name} ${req.verb}: ${failure.detail}`] });
}
