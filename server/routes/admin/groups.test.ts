// /admin/groups against the real backend: create, list, show, delete (refused while a policy is
// assigned), members added and removed at once when no one's access widens, and held for a
// second administrator when it does (joining the group whose policy wins over a narrower one,
// leaving the group that held a user to narrower rules).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GroupMemberViewT, GroupViewT, PolicyChangeViewT } from '../../../core/api/admin-policies.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import { policyDoc } from '../../services/policy/admin-fixtures.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

interface Applied {
  status: 'applied';
  group: GroupViewT;
  member: GroupMemberViewT;
}
interface Pending {
  status: 'pending';
  change: PolicyChangeViewT;
}

describe('admin API: groups', () => {
  let t: AdminTestServer;
  let tokens: { first: string; second: string; auditor: string };
  const users: Record<string, string> = {};
  const signals: string[] = [];
  before(async () => {
    t = await startAdminTestServer();
    tokens = {
      first: await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin', 'grp.first')).user),
      second: await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin', 'grp.second')).user),
      auditor: await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user),
    };
    for (const name of ['dora', 'emil']) users[name] = (await createAccount(t.ctx, 'User', name)).user.id;
    t.ctx.policyWatch.subscribe((reason) => signals.push(reason));
  });
  after(async () => t.srv.stop());

  const as = (who: keyof typeof tokens) => ({
    post: <T>(path: string, json: unknown = {}) =>
      t.srv.call<T>(path, { headers: bearer(tokens[who]), json }),
    get: <T>(path: string) => t.srv.call<T>(path, { headers: bearer(tokens[who]) }),
  });
  const a1 = as('first');
  const a2 = as('second');

  it('creates, lists and shows groups; refuses taken and malformed names', async () => {
    const res = await a1.post<{ group: GroupViewT }>('/admin/groups', {
      name: 'sales',
      description: 'Sales team',
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(
      [res.body.group.name, res.body.group.members, res.body.group.policy],
      ['sales', 0, null],
    );
    assert.equal((await a1.post('/admin/groups', { name: 'support' })).status, 201);
    assert.deepEqual(refusal(await a1.post('/admin/groups', { name: 'sales' })), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    for (const name of ['Sales', '-x', 'a b', 'x'.repeat(64)]) {
      assert.deepEqual(refusal(await a1.post('/admin/groups', { name })), {
        code: 'VIW_E_VALIDATION',
        status: 400,
      });
    }
    const list = await as('auditor').get<{ groups: GroupViewT[] }>('/admin/groups');
    assert.deepEqual(
      list.body.groups.map((g) => g.name),
      ['sales', 'support'],
    );
    assert.deepEqual(refusal(await a1.get('/admin/groups/nope')), { code: 'VIW_E_NOT_FOUND', status: 404 });
    assert.deepEqual(refusal(await as('auditor').post('/admin/groups', { name: 'x' })), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
  });

  it('adds and removes members at once while the group has no policy', async () => {
    signals.length = 0;
    for (const u of ['emil', 'dora']) {
      const res = await a1.post<Applied>('/admin/groups/sales/members', { user_id: users[u] });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'applied');
      assert.equal(res.body.member.username, u);
    }
    assert.equal(signals.length, 2);
    const dup = await a1.post('/admin/groups/sales/members', { user_id: users.dora });
    assert.deepEqual(refusal(dup), { code: 'VIW_E_CONFLICT', status: 409 });
    const nobody = await a1.post('/admin/groups/sales/members', { user_id: randomId() });
    assert.deepEqual(refusal(nobody), { code: 'VIW_E_NOT_FOUND', status: 404 });
    const shown = await a1.get<{ group: GroupViewT; members: GroupMemberViewT[] }>('/admin/groups/sales');
    assert.equal(shown.body.group.members, 2);
    assert.deepEqual(
      shown.body.members.map((m) => m.username),
      ['dora', 'emil'],
    );
    const removed = await a1.post<Applied>(`/admin/groups/sales/members/${users.emil}/remove`);
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.group.members, 1);
    const again = await a1.post(`/admin/groups/sales/members/${users.emil}/remove`);
    assert.deepEqual(refusal(again), { code: 'VIW_E_NOT_FOUND', status: 404 });
    const events = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((r) => JSON.parse(r.event) as AuditEvent)
      .filter((e) => e.action.startsWith('group.'));
    assert.deepEqual(
      events.map((e) => e.action),
      ['group.created', 'group.created', 'group.member_added', 'group.member_added', 'group.member_removed'],
    );
    assert.ok(events.slice(2).every((e) => e.user_id !== null && e.cmd !== null && e.severity === 'notice'));
  });

  it('a membership change that widens access waits for a second administrator', async () => {
    // sales: narrow (priority 10); support: wide (priority 20). dora is in sales.
    for (const [name, routes] of [
      ['narrow', ['10.40.1.0/24']],
      ['wide', ['10.40.0.0/16']],
    ] as const) {
      assert.equal(
        (await a1.post('/admin/policies', { name, document: policyDoc([...routes]) })).status,
        201,
      );
    }
    assert.equal(
      (await a1.post('/admin/policies/narrow/assign', { group: 'sales', priority: 10 })).status,
      200,
    );
    assert.equal(
      (await a1.post('/admin/policies/wide/assign', { group: 'support', priority: 20 })).status,
      200,
    );
    // Joining support changes nothing for dora (sales wins): applied.
    const join = await a1.post<Applied>('/admin/groups/support/members', { user_id: users.dora });
    assert.equal(join.body.status, 'applied');
    // Leaving sales would hand dora the wider policy: pending.
    const leave = await a1.post<Pending>(`/admin/groups/sales/members/${users.dora}/remove`);
    assert.equal(leave.status, 202, leave.text);
    assert.equal(leave.body.change.kind, 'member_remove');
    assert.equal(leave.body.change.policy, 'narrow');
    assert.deepEqual(leave.body.change.reasons, ['dora: routes added: 10.40.0.0/16']);
    assert.match(
      leave.body.change.diff,
      /^remove user dora from group sales\naffects 1 user\(s\); 1 change policy\n/,
    );
    assert.match(leave.body.change.diff, /dora: narrow v1 \(group sales\) -> wide v1 \(group support\)/);
    const still = await a1.get<{ members: GroupMemberViewT[] }>('/admin/groups/sales');
    assert.deepEqual(
      still.body.members.map((m) => m.username),
      ['dora'],
      'not applied yet',
    );
    assert.deepEqual(refusal(await a1.post(`/admin/policies/changes/${leave.body.change.id}/approve`)), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
    const ok = await a2.post<{ change: PolicyChangeViewT }>(
      `/admin/policies/changes/${leave.body.change.id}/approve`,
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await a1.get<{ members: unknown[] }>('/admin/groups/sales')).body.members.length, 0);
    // Back into sales (narrow, priority 10 wins over wide): narrower, applied at once.
    assert.equal(
      (await a1.post<Applied>('/admin/groups/sales/members', { user_id: users.dora })).status,
      200,
    );
  });

  it('deletes a group only without a policy assignment', async () => {
    const refused = await a1.post<{ details: string[] }>('/admin/groups/support/delete');
    assert.deepEqual(refusal(refused), { code: 'VIW_E_CONFLICT', status: 409 });
    assert.match(refused.body.details[0]!, /unassign it first/);
    assert.equal((await a1.post('/admin/groups', { name: 'empty' })).status, 201);
    assert.equal((await a1.post('/admin/groups/empty/members', { user_id: users.emil })).status, 200);
    const deleted = await a1.post<{ group: GroupViewT }>('/admin/groups/empty/delete');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.body.group.members, 1);
    assert.equal(await t.ctx.db.groupMember.count({ where: { userId: users.emil } }), 0);
    assert.deepEqual(refusal(await a1.post('/admin/groups/empty/delete')), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
  });
});
