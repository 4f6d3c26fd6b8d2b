// /admin/alerts through the real Fastify app and an admin session: alerts raised through the real
// sink, listed with their context, filtered and paged; acknowledged once (audited), a second ack 409.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlertViewT } from '../../../core/api/admin-alerts.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import type { RaisedAlert } from '../../services/detections/alert.js';
import { createAlertSink } from '../../services/detections/sink.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

type List = { alerts: AlertViewT[]; next_cursor: string | null };
const PSEUDONYM = `u-${'c0ffee'.repeat(4)}`;

describe('admin API: alerts', () => {
  let t: AdminTestServer;
  let auditor: string;
  let operatorPseudonym: string;
  let operator: string;
  const ids: Record<string, string> = {};

  const raise = async (name: string, over: Partial<RaisedAlert>) => {
    const sink = createAlertSink({ db: t.ctx.db, audit: t.ctx.audit, log: console });
    await sink.raise({
      rule: 'otp_stuffing',
      severity: 'critical',
      key: PSEUDONYM,
      summary: `alert ${name}`,
      fields: { name },
      context: { user_id: PSEUDONYM, src_ip: '198.51.100.9' },
      evidence: [1],
      firedAt: new Date('2030-01-01T00:00:00.000Z'),
      ...over,
    });
    const row = await t.ctx.db.alert.findFirstOrThrow({ orderBy: { id: 'desc' } });
    ids[name] = row.id;
  };

  before(async () => {
    t = await startAdminTestServer();
    const o = await createAccount(t.ctx, 'Operator');
    operator = await sessionFor(t.ctx, o.user);
    operatorPseudonym = t.ctx.audit.userPseudonym(o.user.auditId);
    auditor = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
    await raise('a', { firedAt: new Date('2030-01-01T00:00:00.000Z') });
    await raise('b', {
      rule: 'dns_leak',
      severity: 'warning',
      firedAt: new Date('2030-01-02T00:00:00.000Z'),
    });
    await raise('c', { firedAt: new Date('2030-01-03T00:00:00.000Z'), context: undefined });
    await raise('d', {
      rule: 'spa_probe_burst',
      severity: 'error',
      firedAt: new Date('2030-01-04T00:00:00.000Z'),
    });
    await raise('e', { firedAt: new Date('2030-01-05T00:00:00.000Z') });
  });
  after(async () => t.srv.stop());

  const get = (path: string, token = operator) => t.srv.call<List>(path, { headers: bearer(token) });
  const ack = (id: string, token = operator, json: unknown = {}) =>
    t.srv.call<{ alert: AlertViewT }>(`/admin/alerts/${id}/ack`, {
      method: 'POST',
      headers: bearer(token),
      json,
    });
  const names = (list: List) => list.alerts.map((x) => Object.keys(ids).find((k) => ids[k] === x.id));

  it('lists newest first with fields, evidence, context from the audit event and the audit seq', async () => {
    const res = await get('/admin/alerts');
    assert.equal(res.status, 200);
    assert.deepEqual(names(res.body), ['e', 'd', 'c', 'b', 'a']);
    assert.equal(res.body.next_cursor, null);
    const a = res.body.alerts.at(-1)!;
    assert.equal(a.rule, 'otp_stuffing');
    assert.equal(a.summary, 'alert a');
    assert.deepEqual(a.fields, { name: 'a' });
    assert.deepEqual(a.evidence, [1]);
    assert.equal(a.context.user_id, PSEUDONYM);
    assert.equal(a.context.src_ip, '198.51.100.9');
    assert.equal(a.fired_at, '2030-01-01T00:00:00.000Z');
    assert.ok(a.audit_seq);
    const row = await t.ctx.db.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(a.audit_seq) } });
    const event = parseAuditEvent(JSON.parse(row.event));
    assert.deepEqual([event.action, event.trace_id], ['alert.otp_stuffing', a.id]);
    const c = res.body.alerts[2]!;
    assert.equal(c.context.user_id, null, 'raised without context');
  });

  it('filters by rule, severity, time and acknowledgement', async () => {
    assert.deepEqual(names((await get('/admin/alerts?rule=otp_stuffing')).body), ['e', 'c', 'a']);
    assert.deepEqual(names((await get('/admin/alerts?severity=warning')).body), ['b']);
    assert.deepEqual(
      names((await get('/admin/alerts?since=2030-01-02T00:00:00Z&until=2030-01-04T00:00:00.000Z')).body),
      ['c', 'b'],
      'since inclusive, until exclusive',
    );
    assert.deepEqual(names((await get('/admin/alerts?rule=otp_stuffing&since=2030-01-03T00:00:00Z')).body), [
      'e',
      'c',
    ]);
    assert.deepEqual(names((await get('/admin/alerts?rule=nothing_here')).body), []);
    assert.equal((await ack(ids.d!)).status, 200);
    assert.deepEqual(names((await get('/admin/alerts?acked=true')).body), ['d']);
    assert.deepEqual(names((await get('/admin/alerts?acked=false')).body), ['e', 'c', 'b', 'a']);
  });

  it('pages by cursor: every alert once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/admin/alerts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.alerts.length <= 2);
      seen.push(...(names(res.body) as string[]));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, ['e', 'd', 'c', 'b', 'a']);
    assert.equal(pages, 3);
  });

  it('refuses unknown and malformed query parameters', async () => {
    for (const [q, code] of [
      ['surprise=1', 'VIW_E_UNKNOWN_FIELD'],
      ['acked=yes', 'VIW_E_VALIDATION'],
      ['severity=info', 'VIW_E_VALIDATION'],
      ['rule=Bad-Rule', 'VIW_E_VALIDATION'],
      ['since=yesterday', 'VIW_E_VALIDATION'],
      ['since=2030-13-45T00:00:00Z', 'VIW_E_VALIDATION'],
      ['cursor=not-an-id', 'VIW_E_VALIDATION'],
      ['limit=0', 'VIW_E_VALIDATION'],
      ['limit=201', 'VIW_E_VALIDATION'],
    ] as const) {
      assert.deepEqual(refusal(await get(`/admin/alerts?${q}`)), { code, status: 400 }, q);
    }
  });

  it('acknowledges once: who and when kept, audited as admin.alert_ack; a second ack is 409 naming the first', async () => {
    const res = await ack(ids.a!);
    assert.equal(res.status, 200);
    assert.equal(res.body.alert.id, ids.a);
    assert.equal(res.body.alert.acked_by, operatorPseudonym);
    assert.ok(res.body.alert.acked_at);
    assert.equal(res.body.alert.context.user_id, PSEUDONYM);

    const events = await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 5 });
    const acked = events
      .map((e) => parseAuditEvent(JSON.parse(e.event)))
      .find((e) => e.action === 'admin.alert_ack')!;
    assert.equal(acked.component, 'admin');
    assert.equal(acked.result, 'success');
    assert.equal(acked.cmd, operatorPseudonym);
    assert.equal(acked.error_msg, `alert ${ids.a} (otp_stuffing)`);
    assert.equal(acked.src_ip, '127.0.0.1');

    const count = await t.ctx.db.auditEvent.count();
    const again = await ack(ids.a!);
    assert.deepEqual(refusal(again), { code: 'VIW_E_CONFLICT', status: 409 });
    assert.deepEqual((again.body as { details?: string[] }).details, [
      `already acknowledged at ${res.body.alert.acked_at} by ${operatorPseudonym}`,
    ]);
    assert.equal(await t.ctx.db.auditEvent.count(), count, 'a refused ack records nothing');
    const row = await t.ctx.db.alert.findUniqueOrThrow({ where: { id: ids.a! } });
    assert.equal(row.ackedAt?.toISOString(), res.body.alert.acked_at);
  });

  it('two acks racing: exactly one wins', async () => {
    const [x, y] = await Promise.all([ack(ids.e!), ack(ids.e!)]);
    assert.deepEqual([x.status, y.status].sort(), [200, 409]);
  });

  it('unknown id 404, malformed id and unknown body fields 400', async () => {
    assert.deepEqual(refusal(await ack(randomId())), { code: 'VIW_E_NOT_FOUND', status: 404 });
    assert.deepEqual(refusal(await ack('nope')), { code: 'VIW_E_VALIDATION', status: 400 });
    assert.deepEqual(refusal(await ack(ids.b!, operator, { note: 'x' })), {
      code: 'VIW_E_UNKNOWN_FIELD',
      status: 400,
    });
    const row = await t.ctx.db.alert.findUniqueOrThrow({ where: { id: ids.b! } });
    assert.equal(row.ackedAt, null);
  });

  it('an Auditor reads but cannot acknowledge; no session at all is 401', async () => {
    assert.equal((await get('/admin/alerts', auditor)).status, 200);
    assert.deepEqual(refusal(await ack(ids.c!, auditor)), { code: 'VIW_E_FORBIDDEN', status: 403 });
    assert.deepEqual(refusal(await t.srv.call('/admin/alerts')), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    const row = await t.ctx.db.alert.findUniqueOrThrow({ where: { id: ids.c! } });
    assert.equal(row.ackedAt, null);
  });
});
