// Pin staleness: the decision (current pins, a near miss inside the roll window, exactly at it, an
// unknown roll time), where the roll time comes from (a real pin roll moves the primary key file's
// time; a reload does not), and the recorded client.pin_stale (once a day per device, never
// within the window, never for current pins) against a real database and AuditService.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../../core/audit/event.js';
import type { PinSet } from '../../../core/crypto/pins.js';
import type { AppContext } from '../../context.js';
import { type Database, openDatabase } from '../../data/database.js';
import { MemoryKv } from '../../kv/memory-kv.js';
import { loadOrCreatePki } from '../../pki/embedded-pki.js';
import { rollPins } from '../../pki/pin-roll.js';
import { enrolledDesktop } from '../../testing/client-fixtures.js';
import { AuditService } from '../audit/service.js';
import {
  backendPinsChangedAt,
  noteLoginPins,
  PIN_ROLL_WINDOW_DAYS,
  type StalePinsCtx,
  stalePins,
  stalePinText,
} from './stale-pins.js';

const DAY = 86_400_000;
const WINDOW = PIN_ROLL_WINDOW_DAYS * DAY;
const pin = (n: number) => Buffer.alloc(32, n).toString('base64');
const PUBLISHED: PinSet = { primary_b64: pin(2), backup_b64: pin(3) };
const OLD = pin(1);
const NOW = Date.parse('2026-12-04T10:00:00.000Z');

describe('stale pin decision', () => {
  const decide = (clientPins: string[], rolledAtMs: number | null) =>
    stalePins({ clientPins, published: PUBLISHED, rolledAtMs, nowMs: NOW, windowMs: WINDOW });

  it('finds nothing in the published pins, whenever the roll was', () => {
    assert.equal(decide([pin(2), pin(3)], NOW - 400 * DAY), null);
    assert.equal(decide([pin(3)], NOW - 400 * DAY), null, 'the backup alone');
    assert.equal(decide([pin(2)], null), null);
  });

  it('waits for the roll window: a near miss inside it is nothing, at and after it the pin is stale', () => {
    assert.equal(decide([OLD, pin(2)], NOW - (WINDOW - 1)), null, '1 ms inside the window');
    assert.equal(decide([OLD, pin(2)], NOW - 2 * DAY), null);
    assert.equal(decide([OLD, pin(2)], NOW + DAY), null, 'a roll time in the future: inside');
    assert.deepEqual(decide([OLD, pin(2)], NOW - WINDOW), { stale: [OLD], sinceRollMs: WINDOW });
    assert.deepEqual(decide([pin(2), OLD, OLD, pin(9)], NOW - 20 * DAY), {
      stale: [OLD, pin(9)],
      sinceRollMs: 20 * DAY,
    });
  });

  it('counts an unknown roll time as elapsed and says so', () => {
    const v = decide([OLD], null);
    assert.deepEqual(v, { stale: [OLD], sinceRollMs: null });
    assert.equal(
      stalePinText(v!, WINDOW),
      `stale pin ${OLD} not published; roll time unknown (window 14.0 d)`,
    );
    assert.equal(
      stalePinText({ stale: [OLD, pin(9)], sinceRollMs: 20.5 * DAY }, WINDOW),
      `stale pin ${OLD},${pin(9)} not published; pin roll 20.5 d ago (window 14.0 d)`,
    );
    const four = stalePinText({ stale: [1, 4, 5, 6].map(pin), sinceRollMs: 99_999 * DAY }, WINDOW);
    assert.ok(four.length <= 256 && /^[\x20-\x7E]+$/.test(four), 'fits the audit field');
  });
});

describe('when the backend pins last changed', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-stale-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the primary key file time: a pin roll moves it, a reload of the PKI does not', async () => {
    assert.equal(backendPinsChangedAt(join(dir, 'nowhere')), null);
    const names = { commonName: 'localhost', dns: ['localhost'] };
    const pki = await loadOrCreatePki(dir, names);
    const keyFile = join(dir, 'pki', 'backend-api.key');
    const longAgo = new Date(NOW - 100 * DAY);
    utimesSync(keyFile, longAgo, longAgo);
    assert.equal(backendPinsChangedAt(dir), longAgo.getTime());
    const reloaded = await loadOrCreatePki(dir, names);
    assert.deepEqual(reloaded.backendApi.pins, pki.backendApi.pins);
    assert.equal(backendPinsChangedAt(dir), longAgo.getTime(), 'a reload keeps the key');

    const before = Date.now();
    const report = await rollPins({ dataDir: dir, gatewayFqdn: 'gw.example.test' }, names, 'backend-api');
    assert.equal(report.previous.primary_b64, pki.backendApi.pins.primary_b64);
    const changed = backendPinsChangedAt(dir);
    assert.ok(changed !== null && changed >= before - 1000, 'the roll rewrote the primary key');
    assert.equal(changed, statSync(keyFile).mtimeMs);
  });
});

describe('noteLoginPins', () => {
  let dir: string;
  let database: Database;
  let ctx: StalePinsCtx;
  let now = NOW;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-stale-db-'));
    database = await openDatabase({ dataDir: dir });
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
      {
        now: () => new Date(now),
      },
    );
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'backend-api.key'), 'not read, only its time');
    ctx = {
      db: database.db,
      audit,
      kv: new MemoryKv(() => now),
      now: () => new Date(now),
      config: { dataDir: dir },
      pki: { backendApi: { pins: PUBLISHED } },
    } as unknown as StalePinsCtx;
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const origin = { sourceIp: '203.0.113.5', traceId: 'trace-0001-stale-pins' };
  const stale = async () =>
    (await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((e) => JSON.parse(e.event) as AuditEvent)
      .filter((e) => e.action === 'client.pin_stale');
  const rolledDaysAgo = (d: number) => {
    const t = new Date(now - d * DAY);
    utimesSync(join(dir, 'pki', 'backend-api.key'), t, t);
  };

  it('records nothing inside the window or for current pins, then once a day per device', async () => {
    const { device } = await enrolledDesktop({ db: database.db } as unknown as AppContext);
    rolledDaysAgo(13.9);
    assert.equal(await noteLoginPins(ctx, device, [OLD, pin(2)], origin), false, 'inside the window');
    rolledDaysAgo(30);
    assert.equal(await noteLoginPins(ctx, device, [pin(2), pin(3)], origin), false, 'current pins');
    assert.equal(await noteLoginPins(ctx, device, [], origin), false, 'a daemon that sent none');
    assert.deepEqual(await stale(), []);

    assert.equal(await noteLoginPins(ctx, device, [OLD, pin(2)], origin), true);
    const [e] = await stale();
    assert.ok(e);
    assert.deepEqual(
      [e.component, e.result, e.severity, e.device_id, e.src_ip, e.trace_id],
      ['client', 'success', 'warning', device.id, origin.sourceIp, origin.traceId],
    );
    assert.match(e.user_id ?? '', /^u-[0-9a-f]{24}$/);
    assert.equal(e.error_msg, `stale pin ${OLD} not published; pin roll 30.0 d ago (window 14.0 d)`);
    assert.ok(e.duration_ms !== null && Math.abs(e.duration_ms - 30 * DAY) < 1000);

    assert.equal(await noteLoginPins(ctx, device, [OLD, pin(2)], origin), false, 'the same day: once');
    const other = (await enrolledDesktop({ db: database.db } as unknown as AppContext)).device;
    assert.equal(await noteLoginPins(ctx, other, [OLD], origin), true, 'another device: its own');
    now += DAY + 1;
    assert.equal(await noteLoginPins(ctx, device, [OLD], origin), true, 'the next day: again');
    assert.equal((await stale()).length, 3);
  });

  it('takes the window from its option (the setting the lead wires) and never throws', async () => {
    const { device } = await enrolledDesktop({ db: database.db } as unknown as AppContext);
    rolledDaysAgo(5);
    assert.equal(await noteLoginPins(ctx, device, [OLD], origin, { windowDays: 7 }), false);
    assert.equal(await noteLoginPins(ctx, device, [OLD], origin, { windowDays: 4 }), true);
    const broken = {
      ...ctx,
      kv: { incr: () => Promise.reject(new Error('kv down')) },
    } as unknown as StalePinsCtx;
    const d2 = (await enrolledDesktop({ db: database.db } as unknown as AppContext)).device;
    assert.equal(await noteLoginPins(broken, d2, [OLD], origin), false, 'a failure is swallowed');
  });
});
