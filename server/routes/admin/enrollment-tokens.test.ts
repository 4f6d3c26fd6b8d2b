import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EnrollmentTokenViewT } from '../../../core/api/admin.js';
import { consumeEnrollmentToken } from '../../services/device/enrollment-tokens.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

interface Created {
  token: string;
  enrollment_token: EnrollmentTokenViewT;
}

describe('admin API: enrollment tokens', () => {
  let t: AdminTestServer;
  let token: string;
  before(async () => {
    t = await startAdminTestServer();
    const op = await createAccount(t.ctx, 'Operator');
    token = await sessionFor(t.ctx, op.user);
  });
  after(async () => t.srv.stop());

  const call = <T>(path: string, json?: unknown) =>
    t.srv.call<T>(path, { headers: bearer(token), ...(json === undefined ? {} : { json }) });

  it('creates a token shown once, with expires_in_s or expires_at (exactly one)', async () => {
    const res = await call<Created>('/admin/enrollment-tokens', {
      max_uses: 3,
      expires_in_s: 3600,
      tags: ['finance', 'laptop'],
      auto_approve: true,
    });
    assert.equal(res.status, 201);
    assert.match(res.body.token, /^viw_et_[A-Za-z0-9_-]{43}$/);
    const view = res.body.enrollment_token;
    assert.deepEqual([view.state, view.max_uses, view.uses, view.auto_approve], ['valid', 3, 0, true]);
    assert.deepEqual(view.tags, ['finance', 'laptop']);
    const expiresAt = new Date(Date.now() + 86400_000).toISOString();
    const at = await call<Created>('/admin/enrollment-tokens', { max_uses: 1, expires_at: expiresAt });
    assert.equal(at.status, 201);
    assert.equal(at.body.enrollment_token.expires_at, expiresAt);

    const list = await call<{ enrollment_tokens: EnrollmentTokenViewT[] }>(
      '/admin/enrollment-tokens?limit=200',
    );
    assert.ok(!list.text.includes(res.body.token) && !/token_hash|tokenHash/.test(list.text));

    for (const body of [
      { max_uses: 1 },
      { max_uses: 1, expires_in_s: 600, expires_at: expiresAt },
      { max_uses: 1, expires_at: new Date(Date.now() - 1000).toISOString() },
      { max_uses: 1, expires_at: new Date(Date.now() + 31 * 86400_000).toISOString() },
      { max_uses: 0, expires_in_s: 600 },
      { max_uses: 1, expires_in_s: 600, tags: ['UPPER'] },
      { max_uses: 1, expires_in_s: 600, tags: ['dup', 'dup'] },
    ]) {
      const bad = await call('/admin/enrollment-tokens', body);
      assert.deepEqual(refusal(bad), { code: 'VIW_E_VALIDATION', status: 400 }, JSON.stringify(body));
    }
  });

  it('reports valid, used_up, expired and revoked, and filters by state', async () => {
    const make = async (maxUses: number) =>
      (await call<Created>('/admin/enrollment-tokens', { max_uses: maxUses, expires_in_s: 600 })).body;
    const valid = await make(2);
    const usedUp = await make(1);
    assert.ok(await consumeEnrollmentToken(t.ctx.db, usedUp.token, new Date()));
    const expired = await make(1);
    await t.ctx.db.enrollmentToken.update({
      where: { id: expired.enrollment_token.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const revoked = await make(1);
    const rev = await call<{ enrollment_token: EnrollmentTokenViewT }>(
      `/admin/enrollment-tokens/${revoked.enrollment_token.id}/revoke`,
      {},
    );
    assert.equal(rev.status, 200);
    assert.equal(rev.body.enrollment_token.state, 'revoked');
    assert.equal(await consumeEnrollmentToken(t.ctx.db, revoked.token, new Date()), null);

    const all = await call<{ enrollment_tokens: EnrollmentTokenViewT[] }>(
      '/admin/enrollment-tokens?limit=200',
    );
    const stateOf = (id: string) => all.body.enrollment_tokens.find((e) => e.id === id)?.state;
    assert.equal(stateOf(valid.enrollment_token.id), 'valid');
    assert.equal(stateOf(usedUp.enrollment_token.id), 'used_up');
    assert.equal(stateOf(expired.enrollment_token.id), 'expired');
    assert.equal(stateOf(revoked.enrollment_token.id), 'revoked');
    for (const state of ['valid', 'used_up', 'expired', 'revoked'] as const) {
      const page = await call<{ enrollment_tokens: EnrollmentTokenViewT[] }>(
        `/admin/enrollment-tokens?state=${state}&limit=200`,
      );
      assert.ok(page.body.enrollment_tokens.length >= 1, state);
      assert.ok(
        page.body.enrollment_tokens.every((e) => e.state === state),
        state,
      );
    }
    assert.deepEqual(
      refusal(await call(`/admin/enrollment-tokens/${revoked.enrollment_token.id}/revoke`, {})),
      {
        code: 'VIW_E_CONFLICT',
        status: 409,
      },
    );
    assert.deepEqual(refusal(await call(`/admin/enrollment-tokens/${randomId()}/revoke`, {})), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
  });

  it('pages the token list with a cursor', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: { body: { enrollment_tokens: EnrollmentTokenViewT[]; next_cursor: string | null } } =
        await call(`/admin/enrollment-tokens?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.body.enrollment_tokens.map((e) => e.id));
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    assert.equal(ids.length, await t.ctx.db.enrollmentToken.count());
    assert.equal(new Set(ids).size, ids.length);
  });
});
