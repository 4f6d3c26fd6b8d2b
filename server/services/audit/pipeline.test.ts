// Shipping alerts as audit events (issue #15, docs/audit.md#shipping): the pipeline as the backend
// starts it — transports built from the configuration, the real HTTPS bulk transport, the test kit's
// Elasticsearch receiver — with the smallest spool the configuration allows and a receiver that
// refuses every request (a wrong API key: 401, not worth retrying). The spool fills and the refusal
// is final, so siem.spool_high, siem.spool_full and siem.delivery_failing must appear in the trail.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuditEvent, parseAuditEvent } from '../../../core/audit/event.js';
import {
  mintReceiverCertificate,
  type SiemHttpsReceiver,
  startSiemHttpsReceiver,
} from '../../../scripts/testkit/siem-https-receiver.js';
import { openDatabase } from '../../data/database.js';
import { loadOrCreateAuditSigningKey } from './checkpoints.js';
import { type AuditPipelineDeps, alertEvent, siemTransports, startAuditPipeline } from './pipeline.js';
import { AuditService } from './service.js';
import type { ShipAlert, ShipAlertKind } from './shipping/shipper.js';
import { loadOrCreateShippingKey } from './shipping/shipping-key.js';
import { waitFor } from './shipping/testing.js';
import { fileAuditSigner } from './signer.js';

const SPOOL_MAX_BYTES = 65_536; // the configuration's minimum (server/config.ts siem.spoolMaxBytes)
const WRONG_TOKEN = 'not-the-es-api-key-7f3a';

describe('alertEvent: how each shipping alert reads in the audit stream', () => {
  const alert = (kind: ShipAlertKind): ShipAlert => ({
    path: 'syslog',
    kind,
    fillRatio: 0.5,
    spoolBytes: 1,
    maxBytes: 2,
    reason: 'r',
  });
  const table: [ShipAlertKind, string, AuditEvent['result'], AuditEvent['severity']][] = [
    ['spool_high', 'siem.spool_high', 'error', 'warning'],
    ['spool_full', 'siem.spool_full', 'error', 'critical'],
    ['spool_error', 'siem.spool_error', 'error', 'error'],
    ['delivery_failing', 'siem.delivery_failing', 'error', 'error'],
    ['spool_recovered', 'siem.spool_recovered', 'success', 'notice'],
    ['delivery_recovered', 'siem.delivery_recovered', 'success', 'notice'],
  ];
  for (const [kind, action, result, severity] of table)
    it(kind, () => assert.deepEqual(alertEvent(alert(kind)), { action, result, severity }));
});

describe('startAuditPipeline: a full spool and a refusing receiver become audit events', () => {
  let root: string;
  let receiver: SiemHttpsReceiver;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let deps: AuditPipelineDeps;
  const logged: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'viw-pipeline-'));
    const dataDir = join(root, 'data');
    const tls = await mintReceiverCertificate();
    receiver = await startSiemHttpsReceiver({
      kind: 'elasticsearch',
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      publicKeys: [loadOrCreateShippingKey(dataDir).publicKey],
      token: 'the-es-api-key',
    });
    writeFileSync(join(root, 'es-ca.pem'), tls.caPem);
    writeFileSync(join(root, 'es-token'), WRONG_TOKEN, { mode: 0o600 });
    database = await openDatabase({ dataDir });
    const ctx = { env: 'test', site: 'lab', tenant_id: 't1' };
    const log = (level: string) => (obj: object, msg: string) =>
      logged.push(`${level} ${msg} ${JSON.stringify(obj)}`);
    deps = {
      config: {
        dataDir,
        audit: { env: 'test', site: 'lab', tenant: 't1', batchIntervalS: 3600, worm: null },
        siem: {
          format: 'ecs',
          spoolMaxBytes: SPOOL_MAX_BYTES,
          syslog: null,
          https: {
            kind: 'elasticsearch',
            url: receiver.url,
            caFile: join(root, 'es-ca.pem'),
            index: 'viworks-audit',
            tokenFile: join(root, 'es-token'),
          },
        },
      },
      db: database.db,
      audit: new AuditService(database.db, ctx, randomBytes(32), { dataDir }),
      signer: fileAuditSigner(loadOrCreateAuditSigningKey(dataDir)),
      archive: null,
      log: { info: log('info'), warn: log('warn'), error: log('error') },
    };
  });
  after(async () => {
    await receiver.close();
    await database.close();
    rmSync(root, { recursive: true, force: true });
  });

  const alertRows = async () => {
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    return rows.map((r) => parseAuditEvent(JSON.parse(r.event))).filter((e) => e.action.startsWith('siem.'));
  };

  it('records siem.spool_high (warning), siem.spool_full (critical) and siem.delivery_failing, naming the path', {
    timeout: 60_000,
  }, async () => {
    // A backlog several times the spool's size (each spooled ECS line is well over 300 bytes).
    for (let i = 0; i < 600; i++)
      await deps.audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    const pipeline = startAuditPipeline(deps, siemTransports(deps.config));
    try {
      await waitFor(
        'the three alerts in the trail',
        30_000,
        async () => {
          const actions = new Set((await alertRows()).map((e) => e.action));
          return ['siem.spool_high', 'siem.spool_full', 'siem.delivery_failing'].every((a) => actions.has(a));
        },
        { pollMs: 100, context: () => logged.join('\n') },
      );
      const stats = pipeline.shipping();
      assert.equal(stats.length, 1);
      assert.equal(stats[0]!.path, 'https');
      assert.ok(stats[0]!.fillRatio >= 0.8, `spool at ${stats[0]!.fillRatio}`);
      assert.equal(stats[0]!.ackedSeq, 0);
      assert.equal(stats[0]!.deliveryFailing, true);
    } finally {
      await pipeline.stop();
    }
    const rows = await alertRows();
    const only = (action: string) => {
      const found = rows.filter((e) => e.action === action);
      assert.equal(found.length, 1, `${action}: once per crossing, got ${found.length}`);
      return found[0]!;
    };
    const high = only('siem.spool_high');
    const full = only('siem.spool_full');
    const failing = only('siem.delivery_failing');
    assert.deepEqual(
      [high, full, failing].map((e) => [e.severity, e.result, e.component, e.cmd]),
      [
        ['warning', 'error', 'backend', 'https'],
        ['critical', 'error', 'backend', 'https'],
        ['error', 'error', 'backend', 'https'],
      ],
    );
    assert.match(full.error_msg ?? '', /spool full; events wait in the database \(spool \d+%\)/);
    assert.match(failing.error_msg ?? '', /^SIEM answered 401\b/);
    assert.ok(receiver.requests().length > 0 && receiver.requests().every((r) => r.status === 401));
    assert.equal(receiver.stored().length, 0);
    for (const e of rows)
      assert.ok(!JSON.stringify(e).includes(WRONG_TOKEN), 'the API key stays out of the trail');
    assert.ok(!logged.join('\n').includes(WRONG_TOKEN), 'the API key stays out of the log');
  });
});
