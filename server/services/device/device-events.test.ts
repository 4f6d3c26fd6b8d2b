// recordDeviceEvents against a real database and the real AuditService (every event passes the
// audit schema): what each type records (component client, result and severity per type, its own
// fields, the session's gateway name), and that a batch with one bad report records nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeviceEventReport, SecurityEventType } from '../../../core/api/device-events.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import { type Database, openDatabase } from '../../data/database.js';
import { enrolledDesktop } from '../../testing/client-fixtures.js';
import { AuditService } from '../audit/service.js';
import { recordDeviceEvents } from './device-events.js';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const AT = new Date(NOW.getTime() - 2500).toISOString();
const PIN = Buffer.alloc(32, 3).toString('base64');

describe('recordDeviceEvents', () => {
  let dir: string;
  let database: Database;
  let ctx: Pick<AppContext, 'db' | 'audit' | 'now'>;
  let gatewayId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-devev-'));
    database = await openDatabase({ dataDir: dir });
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
      {
        now: () => NOW,
      },
    );
    ctx = { db: database.db, audit, now: () => NOW };
    gatewayId = (
      await database.db.gateway.create({
        data: {
          name: 'gw-paris-1',
          fqdn: 'gw1.example.test',
          sshHostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
        },
      })
    ).id;
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const desktop = async () => (await enrolledDesktop(ctx as unknown as AppContext)).device;
  const sessionOf = async (device: { id: string; userId: string }) => {
    const row = await database.db.session.create({
      data: {
        userId: device.userId,
        deviceId: device.id,
        gatewayId,
        expiresAt: new Date(NOW.getTime() + 3_600_000),
      },
    });
    return { id: row.id, wire: toWireId('s', row.id) };
  };
  const events = async (): Promise<AuditEvent[]> =>
    (await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((e) => JSON.parse(e.event));
  const origin = { sourceIp: '198.51.100.7', traceId: 'trace-0001-device-events' };

  it('records every type as component client with its result, severity and fields', async () => {
    const device = await desktop();
    const s = await sessionOf(device);
    const reports: Record<SecurityEventType, DeviceEventReport> = {
      dns_leak_detected: {
        type: 'dns_leak_detected',
        session_id: s.wire,
        detected_at: AT,
        reason: 'dns_route_outside_tunnel',
        detail: 'route to 192.0.2.53 via eth0',
      },
      route_leak_detected: {
        type: 'route_leak_detected',
        session_id: s.wire,
        detected_at: AT,
        reason: 'traffic_route_outside_tunnel',
        detail: '',
      },
      kill_switch_failed: {
        type: 'kill_switch_failed',
        session_id: null,
        detected_at: AT,
        reason: 'kill_switch_missing',
        detail: '',
      },
      debugger_attached: {
        type: 'debugger_attached',
        session_id: s.wire,
        detected_at: AT,
        reason: 'tracer_attached',
        detail: 'tracer gdb',
      },
      spa_sent: {
        type: 'spa_sent',
        session_id: s.wire,
        detected_at: AT,
        gateway_address: '2001:db8::7',
        spa_port: 62201,
      },
      pin_mismatch: {
        type: 'pin_mismatch',
        session_id: s.wire,
        detected_at: AT,
        endpoint: 'gateway',
        spki_sha256: PIN,
        address: '192.0.2.9',
      },
      hardening_finding: {
        type: 'hardening_finding',
        session_id: s.wire,
        detected_at: AT,
        reason: 'dumpable',
      },
      tls_latency: { type: 'tls_latency', session_id: s.wire, detected_at: AT, latency_ms: 61 },
      tunnel_latency: { type: 'tunnel_latency', session_id: s.wire, detected_at: AT, latency_ms: 905 },
    };
    // [result, severity, error_msg, duration_ms, dst_ip, dst_port, fwknop_id]
    const expected: Record<SecurityEventType, unknown[]> = {
      dns_leak_detected: [
        'failure',
        'warning',
        'dns_route_outside_tunnel: route to 192.0.2.53 via eth0',
        2500,
        null,
        null,
        null,
      ],
      route_leak_detected: ['failure', 'warning', 'traffic_route_outside_tunnel', 2500, null, null, null],
      kill_switch_failed: ['failure', 'error', 'kill_switch_missing', 2500, null, null, null],
      debugger_attached: ['failure', 'error', 'tracer_attached: tracer gdb', 2500, null, null, null],
      spa_sent: ['success', 'info', null, 2500, '2001:db8::7', 62201, toWireId('d', device.id)],
      pin_mismatch: [
        'failure',
        'error',
        `gateway: presented spki sha256 ${PIN}`,
        2500,
        '192.0.2.9',
        null,
        null,
      ],
      hardening_finding: ['failure', 'warning', 'dumpable', 2500, null, null, null],
      tls_latency: ['success', 'info', null, 61, null, null, null],
      tunnel_latency: ['success', 'info', null, 905, null, null, null],
    };
    for (const [type, report] of Object.entries(reports) as Array<[SecurityEventType, DeviceEventReport]>) {
      const { eventId } = await recordDeviceEvents(ctx, device, [report], origin);
      assert.equal(eventId, origin.traceId);
      const e = (await events()).at(-1)!;
      assert.equal(e.action, `client.${type}`);
      assert.equal(e.component, 'client', type);
      assert.deepEqual(
        [e.result, e.severity, e.error_msg, e.duration_ms, e.dst_ip, e.dst_port, e.fwknop_id],
        expected[type],
        type,
      );
      assert.equal(e.device_id, device.id);
      assert.equal(e.src_ip, origin.sourceIp);
      assert.equal(e.trace_id, origin.traceId);
      assert.equal(e.session_id, report.session_id === null ? null : s.id, type);
      assert.equal(e.gateway, report.session_id === null ? undefined : 'gw-paris-1', type);
      assert.match(e.user_id ?? '', /^u-[0-9a-f]{24}$/);
    }
  });

  it('checks a whole batch before recording any of it', async () => {
    const device = await desktop();
    const other = await desktop();
    const own = await sessionOf(device);
    const foreign = await sessionOf(other);
    const latency = (wire: string): DeviceEventReport => ({
      type: 'tls_latency',
      session_id: wire,
      detected_at: AT,
      latency_ms: 10,
    });
    const refusals: Array<[DeviceEventReport[], string, string]> = [
      [[latency(own.wire), latency(foreign.wire)], 'VIW_E_NOT_FOUND', 'session_id'],
      [
        [
          latency(own.wire),
          { ...latency(own.wire), detected_at: new Date(NOW.getTime() + 120_000).toISOString() },
        ],
        'VIW_E_VALIDATION',
        'events/1/detected_at: in the future',
      ],
      [
        [
          latency(own.wire),
          {
            type: 'spa_sent',
            session_id: own.wire,
            detected_at: AT,
            gateway_address: '300.1.1.1',
            spa_port: 1,
          },
        ],
        'VIW_E_VALIDATION',
        'events/1/gateway_address: not an IP address',
      ],
      [
        [
          {
            type: 'kill_switch_failed',
            session_id: null,
            detected_at: AT,
            reason: 'resolver_changed',
            detail: '',
          } as DeviceEventReport,
        ],
        'VIW_E_VALIDATION',
        'reason: not a reason of type kill_switch_failed',
      ],
    ];
    for (const [batch, code, detail] of refusals) {
      const before = await database.db.auditEvent.count();
      await assert.rejects(
        recordDeviceEvents(ctx, device, batch, origin),
        (e) => isViworksError(e, code as never) && (e.details[0] ?? '').startsWith(detail),
      );
      assert.equal(await database.db.auditEvent.count(), before, `${detail}: nothing recorded`);
    }
    const before = await database.db.auditEvent.count();
    await recordDeviceEvents(ctx, device, [latency(own.wire), latency(own.wire)], origin);
    assert.equal(await database.db.auditEvent.count(), before + 2);
  });
});
