// One shipping path at work (pki-siem §4.4, §6): events flow database → disk spool → transport, and
// the spool's cursor moves only once the transport says the receiver has them (at-least-once; every
// message carries its seq so the receiver de-duplicates). Two loops share the spool: the filler takes
// new events (on wake() and every second), the sender sends batches in order, retrying with capped
// exponential backoff and jitter, never skipping a record.
//
// Alerts are raised on crossings only (with hysteresis), never per record: the integrator turns them
// into audit events, which are themselves shipped, so an alert per record would never settle.
import { randomInt } from 'node:crypto';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { AuditSource } from './db-source.js';
import { Spool } from './spool.js';
import { ShipError, type ShipPath, type ShipTransport } from './transport.js';

export type ShipAlertKind =
  /** The spool holds ≥ 80 % of maxBytes. */
  | 'spool_high'
  /** The spool refused events for lack of room (they wait in the database). */
  | 'spool_full'
  /** Back under 50 % after spool_high/spool_full; or, reason says so, spool writes work again after spool_error. */
  | 'spool_recovered'
  /** The spool could not be written (e.g. ENOSPC); events wait in the database meanwhile. */
  | 'spool_error'
  /** Events wait and none was delivered for 30 s, or the receiver refuses them for good (non-retryable). */
  | 'delivery_failing'
  /** The first delivery after delivery_failing. */
  | 'delivery_recovered';

/** What an alert says: the path, the kind and the spool's fill; no event content, no secret. */
export interface ShipAlert {
  readonly path: ShipPath;
  readonly kind: ShipAlertKind;
  readonly fillRatio: number;
  readonly spoolBytes: number;
  readonly maxBytes: number;
  /** Short and safe: an errno code, a ShipError message; at most 200 characters. */
  readonly reason: string;
}

export interface ShipperStats {
  readonly path: ShipPath;
  /** Last seq taken into the spool. */
  readonly spooledSeq: number;
  /** Last seq the receiver provably has. */
  readonly ackedSeq: number;
  readonly spoolBytes: number;
  readonly maxBytes: number;
  readonly fillRatio: number;
  /** now − timestamp of the oldest event not yet acknowledged (0 when none waits). */
  readonly lagMs: number;
  readonly lastError: string | null;
  readonly lastDeliveryAt: string | null;
  readonly consecutiveFailures: number;
  readonly deliveryFailing: boolean;
}

export interface ShipperLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ShipperOptions {
  readonly path: ShipPath;
  /** Owned by the shipper from now on: stop() closes it. */
  readonly transport: ShipTransport;
  /** <dataDir>/audit/spool/<path>. */
  readonly spoolDir: string;
  /** config siem.spoolMaxBytes. */
  readonly maxBytes: number;
  readonly source: AuditSource;
  /** Most records per batch; default 500 (and never more than 1 MiB of spooled lines). */
  readonly batchMax?: number;
  readonly onAlert: (alert: ShipAlert) => void;
  readonly log?: ShipperLog;
  readonly now?: () => Date;
  /** Uniform in [0, 1), for jitter; default from the CSPRNG. */
  readonly random?: () => number;
}

export interface Shipper {
  /** A new event is in the database: take it now rather than at the next poll. */
  wake(): void;
  stats(): ShipperStats;
  /** Stops both loops, aborts a send in flight (it is sent again after the next start), closes the transport. */
  stop(): Promise<void>;
}

const POLL_MS = 1000;
const FILL_CHUNK = 256;
const MAX_BATCH_BYTES = 1024 * 1024;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const NON_RETRYABLE_BACKOFF_MS = 5 * 60_000;
const MAX_RETRY_AFTER_MS = 10 * 60_000;
const FAILING_AFTER_MS = 30_000;
/** spool_error ends only after writes worked with no failure for this long (a flapping disk alerts once). */
const SPOOL_ERROR_QUIET_MS = 60_000;
const HIGH_RATIO = 0.8;
const RECOVERED_RATIO = 0.5;

/** A wake-up that is remembered when nobody is waiting, with a timeout. */
class Signal {
  private pending = false;
  private release: (() => void) | null = null;

  notify(): void {
    if (this.release) this.release();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.release?.(), ms);
      this.release = () => {
        clearTimeout(timer);
        this.release = null;
        resolve();
      };
    });
  }
}

const cspRandom = (): number => randomInt(0, 2 ** 32) / 2 ** 32;
const noLog: ShipperLog = { info: () => {}, warn: () => {}, error: () => {} };

function reasonOf(err: unknown): string {
  if (err instanceof ShipError) return err.message.slice(0, 200);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return code.slice(0, 200);
  return err instanceof Error ? err.name.slice(0, 200) : 'error';
}

/** Starts both loops at once; the spool is opened (and repaired) by the first pass. */
export function startShipper(opts: ShipperOptions): Shipper {
  if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 4096)
    throw new ViworksError('VIW_E_CONFIG', { details: ['siem.spoolMaxBytes: below 4096'] });
  const log = opts.log ?? noLog;
  const nowMs = () => (opts.now ? opts.now().getTime() : Date.now());
  const random = opts.random ?? cspRandom;
  const batchMax = Math.max(1, opts.batchMax ?? 500);
  const fillSignal = new Signal();
  const sendSignal = new Signal();
  let running = true;
  let spool: Spool | null = null;

  // Delivery state.
  let failures = 0;
  let backoffUntil = 0;
  let lastError: string | null = null;
  let lastDeliveryAt: number | null = null;
  let waitingSince: number | null = null;
  let deliveryFailing = false;
  // What the spool could not take yet (full or unwritable): the source is ahead of it.
  let sourceAhead = false;
  let pendingTimestamp: string | null = null;
  let fullAtBytes: number | null = null;
  let sourceFailing = false;
  // Alert hysteresis.
  let level: 'normal' | 'high' | 'full' = 'normal';
  let refusedForRoom = false;
  let spoolErrorActive = false;
  let lastSpoolFailureAt = 0;
  let lastSpoolOkAt = 0;

  const fill = () => (spool ? spool.bytes / opts.maxBytes : 0);
  const alert = (kind: ShipAlertKind, reason: string) => {
    const spoolBytes = spool?.bytes ?? 0;
    try {
      opts.onAlert({ path: opts.path, kind, fillRatio: fill(), spoolBytes, maxBytes: opts.maxBytes, reason });
    } catch (err) {
      log.error(`audit shipper ${opts.path}: alert handler failed (${reasonOf(err)})`);
    }
  };

  const spoolFailed = (err: unknown, what: string) => {
    lastSpoolFailureAt = nowMs();
    const reason = `spool ${what} failed: ${reasonOf(err)}`;
    if (!spoolErrorActive) {
      spoolErrorActive = true;
      log.warn(`audit shipper ${opts.path}: ${reason}; events wait in the database`);
      alert('spool_error', reason);
    }
  };

  const checkAlerts = () => {
    const now = nowMs();
    const ratio = fill();
    if (level === 'normal' && (ratio >= HIGH_RATIO || refusedForRoom)) {
      level = 'high';
      alert('spool_high', `spool at ${Math.round(ratio * 100)} %`);
    }
    if (level === 'high' && refusedForRoom) {
      level = 'full';
      alert('spool_full', 'spool full; events wait in the database');
    }
    refusedForRoom = false;
    // Not while events still wait in the database: draining a backlog empties the spool after every
    // batch and refills it, and that must not read as recovery (it would alert once per batch).
    if (level !== 'normal' && ratio < RECOVERED_RATIO && !sourceAhead) {
      level = 'normal';
      alert('spool_recovered', `spool back at ${Math.round(ratio * 100)} %`);
    }
    if (
      spoolErrorActive &&
      lastSpoolOkAt > lastSpoolFailureAt &&
      now - lastSpoolFailureAt >= SPOOL_ERROR_QUIET_MS
    ) {
      spoolErrorActive = false;
      log.info(`audit shipper ${opts.path}: spool writes work again`);
      alert('spool_recovered', 'spool writes work again');
    }
    const waiting = (spool?.hasUnacked ?? false) || sourceAhead;
    if (!waiting) waitingSince = null;
    else if (waitingSince === null) waitingSince = now;
    if (!deliveryFailing && waitingSince !== null && now - waitingSince >= FAILING_AFTER_MS) {
      deliveryFailing = true;
      alert(
        'delivery_failing',
        lastError ?? `nothing delivered for ${Math.round((now - waitingSince) / 1000)} s`,
      );
    }
  };

  const takeFromSource = async (s: Spool) => {
    while (running) {
      if (fullAtBytes !== null && s.bytes >= fullAtBytes) return;
      fullAtBytes = null;
      let records: Awaited<ReturnType<AuditSource['readAfter']>>;
      try {
        records = await opts.source.readAfter(s.lastSeq, FILL_CHUNK);
      } catch (err) {
        if (!sourceFailing)
          log.warn(`audit shipper ${opts.path}: reading the audit table failed (${reasonOf(err)})`);
        sourceFailing = true;
        return;
      }
      sourceFailing = false;
      const first = records[0];
      if (!first) {
        sourceAhead = false;
        return;
      }
      let taken: number;
      try {
        taken = await s.append(records);
      } catch (err) {
        sourceAhead = true;
        pendingTimestamp = first.event.timestamp;
        spoolFailed(err, 'write');
        return;
      }
      lastSpoolOkAt = nowMs();
      if (taken > 0) sendSignal.notify();
      const refused = records[taken];
      if (refused) {
        sourceAhead = true;
        pendingTimestamp = refused.event.timestamp;
        fullAtBytes = s.bytes;
        refusedForRoom = true;
        return;
      }
      sourceAhead = false;
      if (records.length < FILL_CHUNK) return;
    }
  };

  const fillOnce = async () => {
    if (!spool) {
      try {
        spool = await Spool.open({
          dir: opts.spoolDir,
          maxBytes: opts.maxBytes,
          onDamage: (why) => log.warn(`audit shipper ${opts.path}: ${why}`),
        });
        sendSignal.notify();
      } catch (err) {
        spoolFailed(err, 'open');
      }
    }
    if (spool) await takeFromSource(spool);
    checkAlerts();
    await fillSignal.wait(POLL_MS);
  };

  const sendFailed = (err: unknown) => {
    failures++;
    const shipError = err instanceof ShipError ? err : new ShipError(reasonOf(err), true);
    lastError = reasonOf(shipError);
    let delay = shipError.retryable
      ? Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 16))
      : NON_RETRYABLE_BACKOFF_MS;
    delay = delay / 2 + (delay / 2) * random();
    if (shipError.retryAfterMs !== null)
      delay = Math.max(delay, Math.min(shipError.retryAfterMs, MAX_RETRY_AFTER_MS));
    backoffUntil = nowMs() + delay;
    log.warn(
      `audit shipper ${opts.path}: delivery failed (${lastError}); next try in ${Math.round(delay / 1000)} s`,
    );
    if (!shipError.retryable && !deliveryFailing) {
      deliveryFailing = true;
      alert('delivery_failing', lastError);
    }
  };

  const delivered = () => {
    failures = 0;
    backoffUntil = 0;
    lastDeliveryAt = nowMs();
    waitingSince = spool?.hasUnacked || sourceAhead ? lastDeliveryAt : null;
    if (deliveryFailing) {
      deliveryFailing = false;
      log.info(`audit shipper ${opts.path}: delivering again`);
      alert('delivery_recovered', 'delivering again');
    }
  };

  const sendOnce = async () => {
    const s = spool;
    const wait = backoffUntil - nowMs();
    if (!s?.hasUnacked || wait > 0) {
      await sendSignal.wait(wait > 0 ? Math.min(wait, POLL_MS) : POLL_MS);
      return;
    }
    let batch: Awaited<ReturnType<Spool['readBatch']>>;
    try {
      batch = await s.readBatch(batchMax, MAX_BATCH_BYTES);
    } catch (err) {
      spoolFailed(err, 'read');
      await sendSignal.wait(POLL_MS);
      return;
    }
    const last = batch[batch.length - 1];
    if (!last) return; // damage was cut away; the filler takes those events again
    try {
      await opts.transport.send(batch);
    } catch (err) {
      if (running) sendFailed(err);
      return;
    }
    try {
      await s.ack(last.seq);
    } catch (err) {
      spoolFailed(err, 'cursor write');
    }
    delivered();
    fillSignal.notify();
  };

  /** A bug in one pass must not end shipping: it is logged and the loop goes on after a pause. */
  const loop = async (name: string, once: () => Promise<void>, signal: Signal) => {
    while (running) {
      try {
        await once();
      } catch (err) {
        log.error(`audit shipper ${opts.path}: ${name} pass failed (${reasonOf(err)})`);
        await signal.wait(POLL_MS);
      }
    }
  };
  const loops = Promise.all([loop('fill', fillOnce, fillSignal), loop('send', sendOnce, sendSignal)]);

  return {
    wake: () => fillSignal.notify(),
    stats(): ShipperStats {
      const now = nowMs();
      const oldest = spool?.oldestUnackedTimestamp ?? (sourceAhead ? pendingTimestamp : null);
      const waiting = (spool?.hasUnacked ?? false) || sourceAhead;
      return {
        path: opts.path,
        spooledSeq: spool?.lastSeq ?? 0,
        ackedSeq: spool?.ackedSeq ?? 0,
        spoolBytes: spool?.bytes ?? 0,
        maxBytes: opts.maxBytes,
        fillRatio: fill(),
        lagMs: waiting && oldest ? Math.max(0, now - Date.parse(oldest)) : 0,
        lastError,
        lastDeliveryAt: lastDeliveryAt === null ? null : new Date(lastDeliveryAt).toISOString(),
        consecutiveFailures: failures,
        deliveryFailing,
      };
    },
    async stop() {
      running = false;
      fillSignal.notify();
      sendSignal.notify();
      await opts.transport.close();
      await loops;
      await spool?.close();
    },
  };
}
