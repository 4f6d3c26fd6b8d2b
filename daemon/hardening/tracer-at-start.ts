// A tracer attached when viworksd starts (process-hardening.ts startVerdict): the daemon refuses to
// start (exit 70, a generic error), and when the device is enrolled it first tells the backend's
// audit, as a tracer seen mid-run does (Engine.tracerAttached): client.debugger_attached, signed by
// the device key. Nothing else starts for it (no engine, no local API, no session): the device
// record, the key store its keys are in, one signed request. Best effort within a hard budget: a
// backend that does not answer, a TPM that hangs, never holds the exit up longer than
// TRACER_REPORT_BUDGET_MS (viworksd exits right after, which ends whatever is still in flight).
//
// The reason is `tracer_attached`, the one the backend knows for the type (an older backend refuses
// an unknown reason); the detail ends in `at start`, so the audit tells it from a tracer mid-run.
// Using the device key with a tracer attached is what the mid-run report does too: the tracer
// can read this process, but a software key is readable by root on this machine anyway, and a TPM
// key never enters the process.
import type { DeviceEventReportOf } from '../../core/api/device-events.js';
import { pinnedBackendClient } from '../../core/backendclient/pinned-transport.js';
import { deviceSigner } from '../engine/device-keys.js';
import { type DeviceRecord, loadDeviceRecord } from '../engine/device-record.js';
import { codeOf } from '../engine/errors.js';
import type { KeyStore } from '../keystore/keystore.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** The longest a refused start waits for the report. */
export const TRACER_REPORT_BUDGET_MS = 3000;

/** `not_enrolled`: no device record (or a revoked device): nobody to tell. */
export type TracerReportOutcome = 'sent' | 'not_enrolled' | 'failed' | 'timeout';

export interface TracerAtStartOptions {
  readonly stateDir: string;
  /** The enrolled device's key store (select.ts with the record's key_store); asked only when enrolled. */
  readonly keyStore: (record: DeviceRecord) => Promise<KeyStore>;
  /** The tracer as tracerDetail names it (`tracer gdb`): for the backend only, never logged. */
  readonly tracer: string;
  readonly log: DaemonLog;
  /** Default TRACER_REPORT_BUDGET_MS (tests shorten it). */
  readonly budgetMs?: number;
}

/** Reports the tracer to the backend when the device is enrolled; never throws, never outlasts the budget. */
export async function reportTracerAtStart(o: TracerAtStartOptions): Promise<TracerReportOutcome> {
  const budgetMs = o.budgetMs ?? TRACER_REPORT_BUDGET_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budgetMs);
  });
  let outcome: TracerReportOutcome;
  try {
    outcome = await Promise.race([send(o, budgetMs), deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === 'sent') o.log.event('tracer.reported', 'ok', { at: 'start' });
  else if (outcome === 'timeout')
    o.log.warn(`tracer: not reported to the backend (no answer within ${budgetMs} ms)`);
  return outcome;
}

async function send(o: TracerAtStartOptions, budgetMs: number): Promise<'sent' | 'not_enrolled' | 'failed'> {
  try {
    const record = await loadDeviceRecord(o.stateDir);
    if (!record || record.status === 'revoked') return 'not_enrolled';
    const store = await o.keyStore(record);
    const backend = pinnedBackendClient(
      { url: record.backend_url, caPem: record.ca_pem, pins: record.backend_pins },
      { connectTimeoutMs: budgetMs, timeoutMs: budgetMs },
    );
    await backend.reportDeviceEvents([tracerAtStartReport(o.tracer)], deviceSigner(store, record.device_id));
    return 'sent';
  } catch (err) {
    // The code only: a detail could name a path or the backend's words.
    o.log.warn(`tracer: not reported to the backend (${codeOf(err)})`);
    return 'failed';
  }
}

/** The report: no session (none has started), the tracer's name, `at start`. */
export function tracerAtStartReport(tracer: string): DeviceEventReportOf<'debugger_attached'> {
  return {
    type: 'debugger_attached',
    session_id: null,
    detected_at: new Date().toISOString(),
    reason: 'tracer_attached',
    detail: `${tracer} at start`,
  };
}
