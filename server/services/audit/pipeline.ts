// What keeps the audit trail alive once the backend serves (issue #15, docs/audit.md): signed
// checkpoints of the chain head every minute, signed Merkle batches every audit.batchIntervalS
// (written to the WORM copy when configured), the WORM retention sweep, and one shipper per
// configured SIEM path, each with its own disk spool. Shipping alerts become audit events
// (siem.spool_high …) — raised once per crossing, so they cannot feed themselves.
import { join } from 'node:path';
import type { AuditEvent } from '../../../core/audit/event.js';
import { type SiemFormat, toSiemDocument } from '../../../core/siem/format.js';
import type { ServerConfig } from '../../config.js';
import type { Db } from '../../data/client.js';
import type { AuditArchive } from './archive.js';
import { type SealerLog, startBatchSealer } from './batches.js';
import { writeCheckpoint } from './checkpoints.js';
import type { AuditService } from './service.js';
import { dbAuditSource } from './shipping/db-source.js';
import { httpsTransportFromConfig } from './shipping/https-transport.js';
import { type ShipAlert, type Shipper, type ShipperStats, startShipper } from './shipping/shipper.js';
import { loadSyslogTransport } from './shipping/syslog-transport.js';
import type { ShippedRecord, ShipTransport } from './shipping/transport.js';
import type { AuditSigner } from './signer.js';

export interface AuditPipelineDeps {
  readonly config: Pick<ServerConfig, 'dataDir' | 'audit' | 'siem'>;
  readonly db: Db;
  readonly audit: AuditService;
  readonly signer: AuditSigner;
  readonly archive: AuditArchive | null;
  readonly log: SealerLog;
}

export interface AuditPipeline {
  /** Each configured SIEM path's shipping state (health, `audit status`). */
  shipping(): ShipperStats[];
  stop(): Promise<void>;
}

const CHECKPOINT_MS = 60_000;
const SWEEP_MS = 24 * 3600_000;

/** How a shipping alert reads in the audit stream. */
export function alertEvent(alert: ShipAlert): {
  action: string;
  result: AuditEvent['result'];
  severity: AuditEvent['severity'];
} {
  const recovered = alert.kind === 'spool_recovered' || alert.kind === 'delivery_recovered';
  const severity: AuditEvent['severity'] = recovered
    ? 'notice'
    : alert.kind === 'spool_high'
      ? 'warning'
      : alert.kind === 'spool_full'
        ? 'critical'
        : 'error';
  return { action: `siem.${alert.kind}`, result: recovered ? 'success' : 'error', severity };
}

/** The body each path carries: the event in the configured format (core/siem), as JSON text. */
export const renderFor = (format: SiemFormat) => (record: ShippedRecord) =>
  JSON.stringify(toSiemDocument(format, record));

/**
 * Builds every configured transport first, so a bad setting (unreadable CA, key, token) stops the
 * start with VIW_E_CONFIG before anything runs.
 */
export function siemTransports(config: AuditPipelineDeps['config']): ShipTransport[] {
  const transports: ShipTransport[] = [];
  if (config.siem.syslog)
    transports.push(loadSyslogTransport(config.siem.syslog, { render: renderFor(config.siem.format) }));
  const https = httpsTransportFromConfig(config);
  if (https) transports.push(https);
  return transports;
}

export function startAuditPipeline(
  deps: AuditPipelineDeps,
  transports: readonly ShipTransport[],
): AuditPipeline {
  const { config, db, audit, signer, archive, log } = deps;
  const sealer = startBatchSealer(
    { db, signer, archive, now: () => new Date() },
    config.audit.batchIntervalS,
    log,
  );
  const checkpoint = () =>
    writeCheckpoint(db, signer, config.dataDir).catch((err: unknown) =>
      log.error({ err }, 'audit checkpoint failed'),
    );
  const checkpointTimer = setInterval(checkpoint, CHECKPOINT_MS);
  checkpointTimer.unref();
  const sweep = () =>
    archive
      ?.sweep(new Date())
      .then((n) => n > 0 && log.info({ removed: n }, 'WORM copy: files past their retention removed'))
      .catch((err: unknown) => log.warn({ err }, 'WORM retention sweep left files behind'));
  void sweep();
  const sweepTimer = setInterval(() => void sweep(), SWEEP_MS);
  sweepTimer.unref();

  const source = dbAuditSource(db);
  const shippers: Shipper[] = transports.map((transport) =>
    startShipper({
      path: transport.path,
      transport,
      spoolDir: join(config.dataDir, 'audit', 'spool', transport.path),
      maxBytes: config.siem.spoolMaxBytes,
      source,
      log: {
        info: (m) => log.info({ path: transport.path }, m),
        warn: (m) => log.warn({ path: transport.path }, m),
        error: (m) => log.error({ path: transport.path }, m),
      },
      onAlert: (alert) => {
        const { action, result, severity } = alertEvent(alert);
        audit
          .record({
            component: 'backend',
            action,
            result,
            severity,
            cmd: alert.path,
            error_msg: `${alert.reason} (spool ${Math.round(alert.fillRatio * 100)}%)`.slice(0, 256),
          })
          .catch((err: unknown) => log.error({ err }, 'could not record a SIEM shipping alert'));
      },
    }),
  );
  const unsubscribe = audit.onRecorded(() => {
    for (const s of shippers) s.wake();
  });
  return {
    shipping: () => shippers.map((s) => s.stats()),
    async stop() {
      unsubscribe();
      clearInterval(checkpointTimer);
      clearInterval(sweepTimer);
      await sealer.stop();
      await checkpoint();
      await Promise.all(shippers.map((s) => s.stop()));
    },
  };
}
