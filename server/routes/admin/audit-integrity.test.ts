// GET /admin/audit/integrity and POST /admin/audit/verify through the real Fastify app: the newest
// sealed batch and checkpoint with their signatures, the chain head; a verification that passes on
// an intact trail, is remembered and audited, is rate-limited and single-flight, and names the first
// problem once an event was edited behind the database's back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditIntegrityReplyT, AuditVerificationViewT } from '../../../core/api/admin-audit.js';
import { VERIFY_RULE, VERIFY_RUNNING_KEY } from '../../services/admin/audit-integrity.js';
import { sealPendingBatches } from '../../services/audit/batches.js';
import { writeCheckpoint } from '../../services/audit/checkpoints.js';
import { loadAuditSigner } from '../../services/audit/keys.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

describe('admin API: audit integrity', () => {
  let t: AdminTestServer;
  let auditor: string;
  let pseudonym: string;
  before(async () => {
    t = await startAdminTestServer();
    const a = await createAccount(t.ctx, 'Auditor');
    auditor = await sessionFor(t.ctx, a.user);
    pseudonym = t.ctx.audit.userPseudonym(a.user.auditId);
    for (let i = 0; i < 5; i++)
      await t.ctx.audit.record({ component: 'backend', action: 'test.event', result: 'success' });
  });
  after(async () => t.srv.stop());

  const integrity = async () => {
    const r = await t.srv.call<AuditIntegrityReplyT>('/admin/audit/integrity', { headers: bearer(auditor) });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const verify = (token = auditor) =>
    t.srv.call<AuditVerificationViewT>('/admin/audit/verify', {
      method: 'POST',
      headers: bearer(token),
      json: {},
    });
  const head = async () => t.ctx.db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
  const resetRate = () => t.ctx.kv.del(`rl:${VERIFY_RULE.name}:all`);

  it('shows the chain head, the newest signed batch and checkpoint, and what is not sealed yet', async () => {
    const signer = await loadAuditSigner(t.srv.dataDir, null);
    await sealPendingBatches({ db: t.ctx.db, signer, archive: null, now: () => new Date() });
    const sealedTo = Number((await head()).seq);
    await writeCheckpoint(t.ctx.db, signer, t.srv.dataDir);
    await t.ctx.audit.record({ component: 'backend', action: 'test.after_seal', result: 'success' });
    const h = await head();
    const r = await integrity();
    assert.deepEqual(r.chain_head, { seq: Number(h.seq), hash: h.hash });
    assert.equal(r.events, Number(h.seq));
    assert.equal(r.latest_manifest?.last_seq, sealedTo);
    assert.equal(r.latest_manifest?.signature, 'valid');
    assert.equal(r.latest_manifest?.key_id, signer.keyId);
    assert.equal(r.unsealed_events, Number(h.seq) - sealedTo);
    assert.deepEqual([r.latest_checkpoint?.seq, r.latest_checkpoint?.signature], [sealedTo, 'valid']);
  });

  it('verifies the intact trail, remembers the result for every instance and audits it', async () => {
    await resetRate();
    const res = await verify();
    assert.equal(res.status, 200, res.text);
    const v = res.body;
    const h = await head();
    assert.equal(v.ok, true);
    assert.equal(v.first_problem, null);
    assert.equal(v.findings, 0);
    assert.equal(v.by, pseudonym);
    assert.ok(v.batches_verified >= 1 && v.checkpoints >= 1);
    assert.equal(v.last_seq, Number(h.seq) - 1, 'its own audit event comes after it');
    assert.deepEqual((await integrity()).last_verification, v);
    const event = JSON.parse(h.event) as Record<string, unknown>;
    assert.deepEqual([event.action, event.result, event.cmd], ['admin.audit_verify', 'success', pseudonym]);
  });

  it('is rate-limited across instances and runs one at a time', async () => {
    await resetRate();
    assert.equal((await verify()).status, 200);
    assert.equal((await verify()).status, 200);
    assert.deepEqual(refusal(await verify()), { code: 'VIW_E_RATE_LIMITED', status: 429 });
    await resetRate();
    await t.ctx.kv.set(VERIFY_RUNNING_KEY, 'someone', 60_000);
    const busy = await verify();
    assert.deepEqual(refusal(busy), { code: 'VIW_E_RATE_LIMITED', status: 429 });
    assert.match(busy.text, /a verification is running/);
    await t.ctx.kv.del(VERIFY_RUNNING_KEY);
  });

  it('refuses an Operator (no audit:read) and no session', async () => {
    const operator = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user);
    assert.deepEqual(refusal(await verify(operator)), { code: 'VIW_E_FORBIDDEN', status: 403 });
    assert.deepEqual(refusal(await t.srv.call('/admin/audit/integrity', { headers: bearer(operator) })), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
    assert.deepEqual(refusal(await t.srv.call('/admin/audit/integrity')), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    assert.deepEqual(refusal(await t.srv.call('/admin/audit/verify', { method: 'POST', json: {} })), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    assert.deepEqual(
      refusal(
        await t.srv.call('/admin/audit/verify', {
          method: 'POST',
          headers: bearer(auditor),
          json: { deep: true },
        }),
      ),
      {
        code: 'VIW_E_UNKNOWN_FIELD',
        status: 400,
      },
    );
  });

  it('names the first problem once a sealed event was edited in the database (critical audit event)', async () => {
    // What an intruder with the database would do: drop the append-only triggers, edit an event.
    const triggers = await t.ctx.db.$queryRawUnsafe<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'",
    );
    for (const tr of triggers) await t.ctx.db.$executeRawUnsafe(`DROP TRIGGER "${tr.name}"`);
    await t.ctx.db.$executeRawUnsafe(
      `UPDATE audit_events SET event = replace(event, '"result":"success"', '"result":"failure"') WHERE seq = 3`,
    );
    await resetRate();
    const res = await verify();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.ok, false);
    assert.ok(res.body.findings >= 1);
    assert.deepEqual([res.body.first_problem?.kind, res.body.first_problem?.seq], ['event_edited', 3]);
    assert.deepEqual((await integrity()).last_verification, res.body);
    const event = JSON.parse((await head()).event) as Record<string, unknown>;
    assert.deepEqual(
      [event.action, event.result, event.severity],
      ['admin.audit_verify', 'failure', 'critical'],
    );
  });
});
