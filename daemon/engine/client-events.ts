// The daemon's reports for the backend's audit stream (POST /device/events,
// core/api/device-events.ts), signed by the device key: leaks, a tracer, hardening findings, a
// pinned key that did not match, each knock and the latency of each tunnel. Best effort and never in
// the way: report() queues and returns at once; nothing a connect does waits for the backend or fails
// because a report did not go out. While the backend cannot take them (unreachable, rate-limited,
// failing), up to MAX_QUEUED reports wait in memory (never on disk) and go out later, up to 16 per
// request, retried with backoff (5 s doubling to 5 min) and whenever a new report comes. A full
// queue drops the oldest info-level report first (knocks, latencies), the oldest of any kind only
// when there is none. A report the backend refuses for good (400, an unknown session, a revoked
// device) is dropped; a refused batch is retried one report at a time, so an older backend that
// does not know a type still records the others. Nothing secret is ever in a report.
import type { DeviceEventReport } from '../../core/api/device-events.js';
import { SECURITY_EVENT_BATCH_MAX } from '../../core/api/device-events.js';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { asViworksError } from './errors.js';

export const MAX_QUEUED = 64;
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 300_000;

/** Answers after which sending the same report again cannot succeed: it is dropped. */
const FINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VIW_E_VALIDATION',
  'VIW_E_UNKNOWN_FIELD',
  'VIW_E_MALFORMED_JSON',
  'VIW_E_BODY_TOO_LARGE',
  'VIW_E_NOT_FOUND',
  'VIW_E_DEVICE_REVOKED',
  'VIW_E_DEVICE_UNKNOWN',
]);
/** Of those, the ones that may concern a single report of a batch (the others concern them all). */
const PER_REPORT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VIW_E_VALIDATION',
  'VIW_E_UNKNOWN_FIELD',
  'VIW_E_NOT_FOUND',
]);
const INFO_TYPES: ReadonlySet<string> = new Set(['spa_sent', 'tls_latency', 'tunnel_latency']);

export interface ClientEventReporterOptions {
  /** Sends 1–16 reports in one signed request (BackendClient.reportDeviceEvents); throws on failure. */
  readonly send: (reports: readonly DeviceEventReport[]) => Promise<unknown>;
  readonly log: DaemonLog;
  readonly maxQueued?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

type Outcome = 'sent' | 'kept' | 'dropped';

export class ClientEventReporter {
  private queue: DeviceEventReport[] = [];
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  /** Reports dropped, so reportNow tells a dropped report from a sent one. */
  private readonly lost = new WeakSet<DeviceEventReport>();
  /** Reports dropped (queue full or refused for good) since the start. */
  dropped = 0;

  constructor(private readonly o: ClientEventReporterOptions) {}

  /** Reports waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues `report` and starts sending, unless the backend failed lately (then the retry timer
   * sends it with the others). Never throws, never waits.
   */
  report(report: DeviceEventReport): void {
    this.enqueue(report);
    void this.flush(false);
  }

  /** Queues `report` and waits for one attempt to send the queue now: true when it went out. */
  async reportNow(report: DeviceEventReport): Promise<boolean> {
    this.enqueue(report);
    await this.flush();
    // A report that went out is no longer queued; one that was kept for later still is.
    return !this.queue.includes(report) && !this.lost.has(report);
  }

  /**
   * Sends what is queued. A pass in progress is joined first; then, if reports are left, another
   * pass runs — always when `force`, else only while the backend has not been failing.
   */
  async flush(force = true): Promise<void> {
    while (this.draining) await this.draining;
    if (this.queue.length === 0 || this.stopped || (!force && this.failures > 0)) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
    });
    await this.draining;
  }

  /** Stops retrying (daemon shutdown); what is queued is dropped with the process. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private enqueue(report: DeviceEventReport): void {
    if (this.queue.length >= (this.o.maxQueued ?? MAX_QUEUED)) {
      const info = this.queue.findIndex((r) => INFO_TYPES.has(r.type));
      const [gone] = this.queue.splice(info === -1 ? 0 : info, 1);
      if (gone) this.drop([gone], 'queue full');
    }
    this.queue.push(report);
  }

  private async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.slice(0, SECURITY_EVENT_BATCH_MAX);
      const outcome = await this.sendBatch(batch);
      if (outcome === 'kept') {
        this.retryLater();
        return;
      }
    }
    this.failures = 0;
  }

  /** One request; a batch refused as a whole for a per-report reason is retried report by report. */
  private async sendBatch(batch: DeviceEventReport[]): Promise<Outcome> {
    const first = await this.attempt(batch);
    const perReport = first.code !== null && PER_REPORT.has(first.code);
    if (first.outcome !== 'dropped' || batch.length === 1 || !perReport) {
      if (first.outcome !== 'kept') this.settle(batch, first.outcome, first.code);
      return first.outcome;
    }
    for (const report of batch) {
      const one = await this.attempt([report]);
      if (one.outcome === 'kept') return 'kept';
      this.settle([report], one.outcome, one.code);
    }
    return 'sent';
  }

  private async attempt(reports: DeviceEventReport[]): Promise<{ outcome: Outcome; code: ErrorCode | null }> {
    try {
      await this.o.send(reports);
      return { outcome: 'sent', code: null };
    } catch (err) {
      const code = asViworksError(err).code;
      return { outcome: FINAL.has(code) ? 'dropped' : 'kept', code };
    }
  }

  private settle(reports: DeviceEventReport[], outcome: Outcome, code: ErrorCode | null): void {
    this.queue = this.queue.filter((r) => !reports.includes(r));
    if (outcome === 'dropped') this.drop(reports, code ?? 'refused');
    else this.o.log.event('client_events.sent', 'ok', { count: reports.length });
  }

  private drop(reports: DeviceEventReport[], why: string): void {
    this.dropped += reports.length;
    for (const r of reports) this.lost.add(r);
    this.o.log.warn(
      `client events: ${reports.length} report(s) dropped (${why}): ${reports.map((r) => r.type).join(',')}`,
    );
  }

  private retryLater(): void {
    this.failures++;
    const base = this.o.retryBaseMs ?? RETRY_BASE_MS;
    const delay = Math.min(base * 2 ** (this.failures - 1), this.o.retryMaxMs ?? RETRY_MAX_MS);
    this.o.log.warn(
      `client events: ${this.queue.length} report(s) kept; next try in ${Math.round(delay / 1000)} s`,
    );
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.flush(), delay);
    this.timer.unref();
  }
}
