// /admin/policies against the real backend: documents refused whole (nothing written), immutable
// versions, dual approval with two administrators (the author cannot approve, a second one can; a
// rejected, decided or expired change cannot be approved), every relaxation step audited (requested
// and approved at critical, rejected and expired at error), a pending change expired by the
// session watcher's pass without anyone reading the queue, the session watcher told of every
// applied change, and precedence through
// explain (user beats group, the lower priority group wins, the built-in default otherwise).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  AssignmentViewT,
  ExplainReplyT,
  PolicyChangeViewT,
  PolicyVersionViewT,
  PolicyViewT,
} from '../../../core/api/admin-policies.js';
import type { PolicyDocument } from '../../../core/api/policy.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import type { AppContext } from '../../context.js';
import { policyDoc } from '../../services/policy/admin-fixtures.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  createDevice,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
  type TestAccount,
} from '../../testing/admin-fixtures.js';

interface VersionReply {
  policy: PolicyViewT;
  version: PolicyVersionViewT;
}
interface Pending {
  status: 'pending';
  change: PolicyChangeViewT;
}

describe('admin API: access policies and dual approval', () => {
  let t: AdminTestServer;
  let first: TestAccount;
  let second: TestAccount;
  let tokens: { first: string; second: string; auditor: string; operator: string };
  const users: Record<string, string> = {};
  const signals: string[] = [];

  before(async () => {
    t = await startAdminTestServer();
    first = await createAccount(t.ctx, 'Admin', 'pol.first');
    second = await createAccount(t.ctx, 'Admin', 'pol.second');
    tokens = {
      first: await sessionFor(t.ctx, first.user),
      second: await sessionFor(t.ctx, second.user),
      auditor: await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user),
      operator: await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user),
    };
    for (const name of ['alice', 'bob', 'carol'])
      users[name] = (await createAccount(t.ctx, 'User', name)).user.id;
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
  const auditEvents = async (prefix: string): Promise<AuditEvent[]> =>
    (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((r) => JSON.parse(r.event) as AuditEvent)
      .filter((e) => e.action.startsWith(prefix));
  const counts = async () => ({
    policies: await t.ctx.db.policy.count(),
    versions: await t.ctx.db.policyVersion.count(),
    changes: await t.ctx.db.policyChange.count(),
  });

  it('creates a policy as version 1; refuses reserved and taken names', async () => {
    const res = await a1.post<VersionReply>('/admin/policies', {
      name: 'office',
      document: policyDoc(['10.10.0.0/16']),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.policy.current_version, 1);
    assert.match(res.body.policy.policy_id, /^p-[0-9a-f]{32}$/);
    assert.equal(res.body.version.author, 'pol.first');
    assert.deepEqual(res.body.version.document.tunnel.routes, ['10.10.0.0/16']);
    assert.deepEqual(refusal(await a1.post('/admin/policies', { name: 'office', document: policyDoc([]) })), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    for (const name of ['default', 'explain', 'changes']) {
      const bad = await a1.post('/admin/policies', { name, document: policyDoc(['10.0.0.0/8']) });
      assert.deepEqual(refusal(bad), { code: 'VIW_E_VALIDATION', status: 400 }, name);
    }
    const list = await a1.get<{ policies: PolicyViewT[] }>('/admin/policies');
    assert.deepEqual(
      list.body.policies.map((p) => p.name),
      ['office'],
    );
  });

  it('refuses a bad document whole, with every problem by path, and writes nothing', async () => {
    const before = await counts();
    const window = { days: ['mon'], from: '09:00', to: '17:00' };
    const cases: Array<[string, unknown, string, RegExp]> = [
      [
        'overlapping routes',
        policyDoc(['10.0.0.0/8', '10.1.0.0/16']),
        'VIW_E_VALIDATION',
        /\/document\/tunnel\/routes\/1: overlaps/,
      ],
      [
        'host bits',
        policyDoc(['10.1.2.3/16']),
        'VIW_E_VALIDATION',
        /\/document\/tunnel\/routes\/0: host bits/,
      ],
      ['malformed CIDR', policyDoc(['10.1.0.0/33']), 'VIW_E_VALIDATION', /tunnel\/routes\/0/],
      [
        'unknown time zone',
        policyDoc([], {
          schedule: { time_zone: 'Mars/Olympus', windows: [window] } as PolicyDocument['schedule'],
        }),
        'VIW_E_VALIDATION',
        /\/document\/schedule\/time_zone: not an IANA time zone/,
      ],
      [
        'empty window',
        policyDoc([], {
          schedule: {
            time_zone: 'Europe/Berlin',
            windows: [{ ...window, to: '09:00' }],
          } as PolicyDocument['schedule'],
        }),
        'VIW_E_VALIDATION',
        /\/document\/schedule\/windows\/0: empty window/,
      ],
      [
        'oversized list',
        policyDoc(Array.from({ length: 65 }, (_, i) => `10.${i}.0.0/16`)),
        'VIW_E_VALIDATION',
        /\/document\/tunnel\/routes/,
      ],
      ['unknown field', { ...policyDoc([]), extra: true }, 'VIW_E_UNKNOWN_FIELD', /document/],
      [
        'unknown nested field',
        policyDoc([], { posture: { ...policyDoc([]).posture, trust_me: true } as PolicyDocument['posture'] }),
        'VIW_E_UNKNOWN_FIELD',
        /document\/posture/,
      ],
    ];
    for (const [name, document, code, detail] of cases) {
      for (const [path, body] of [
        ['/admin/policies', { name: 'bad-one', document }],
        ['/admin/policies/office/versions', { document }],
      ] as const) {
        const res = await a1.post<{ details?: string[] }>(path, body);
        assert.deepEqual(refusal(res), { code, status: 400 }, `${name} ${path}: ${res.text.slice(0, 300)}`);
        assert.ok(
          (res.body.details ?? []).some((d) => detail.test(d)),
          `${name}: ${JSON.stringify(res.body.details)}`,
        );
      }
    }
    // Several problems at once: all listed.
    const many = await a1.post<{ details: string[] }>('/admin/policies', {
      name: 'bad-two',
      document: policyDoc(['10.0.0.0/8', '10.2.0.0/16', '10.3.0.1/16'], {
        client_time_zones: ['Nowhere/Land'],
        session: { lifetime_s: 300, idle_timeout_s: 600 },
      }),
    });
    assert.equal(many.status, 400);
    assert.equal(many.body.details.length, 4, JSON.stringify(many.body.details));
    assert.deepEqual(await counts(), before);
  });

  it('takes a document at the schema limits (larger than the usual 8 KiB admin body)', async () => {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const countries = Array.from(
      { length: 250 },
      (_, i) => `${letters[Math.floor(i / 26)]}${letters[i % 26]}`,
    );
    const document = policyDoc(
      Array.from({ length: 64 }, (_, i) => `10.${100 + i}.0.0/16`),
      {
        gateways: Array.from({ length: 32 }, (_, i) => `gateway-number-${i}`),
        client_time_zones: Intl.supportedValuesOf('timeZone').slice(0, 32),
        geo: {
          allow_countries: countries,
          deny_countries: [],
          allow_asns: Array.from({ length: 256 }, (_, i) => 4_200_000_000 + i),
          deny_asns: Array.from({ length: 256 }, (_, i) => 4_100_000_000 + i),
          allow_unknown: false,
        },
      },
    );
    const size = JSON.stringify({ name: 'big', document }).length;
    assert.ok(size > 8 * 1024, `${size} bytes`);
    const res = await a1.post<VersionReply>('/admin/policies', { name: 'big', document });
    assert.equal(res.status, 201, res.text.slice(0, 300));
    // 63 routes added at once: the reason is cut to the contract's 300 characters, the diff has all.
    const wider = await a1.post<Pending>('/admin/policies/big/versions', {
      document: { ...document, tunnel: { mode: 'full', routes: [] } },
    });
    assert.equal(wider.status, 202, wider.text.slice(0, 300));
    assert.deepEqual(wider.body.change.reasons, ['routes lifted (full tunnel, any network)']);
    const more = await a1.post<Pending>('/admin/policies/big/versions', {
      document: policyDoc(Array.from({ length: 64 }, (_, i) => `172.16.${i}.0/24`)),
    });
    assert.equal(more.status, 202, more.text.slice(0, 300));
    const routesAdded = more.body.change.reasons.find((r) => r.startsWith('routes added'))!;
    assert.equal(routesAdded.length, 300);
    assert.match(routesAdded, /\.\.\.$/);
    assert.match(more.body.change.diff, /\+ {6}"172\.16\.63\.0\/24"/);
    for (const c of [wider.body.change, more.body.change])
      assert.equal((await a2.post(`/admin/policies/changes/${c.id}/reject`)).status, 200);
  });

  it('a narrowing version applies at once; versions are immutable and listed', async () => {
    signals.length = 0;
    const res = await a1.post<VersionReply & { status: string }>('/admin/policies/office/versions', {
      document: policyDoc(['10.10.0.0/17']),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'applied');
    assert.equal(res.body.version.version, 2);
    assert.equal(res.body.version.approver_id, null);
    assert.equal(signals.length, 1, 'the session watcher was told');
    const same = await a1.post('/admin/policies/office/versions', { document: policyDoc(['10.10.0.0/17']) });
    assert.deepEqual(refusal(same), { code: 'VIW_E_CONFLICT', status: 409 });
    const v1 = await a1.get<VersionReply>('/admin/policies/office/versions/1');
    assert.deepEqual(v1.body.version.document.tunnel.routes, ['10.10.0.0/16']);
    assert.deepEqual(refusal(await a1.get('/admin/policies/office/versions/9')), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
    const shown = await a1.get<{ policy: PolicyViewT; versions: Array<{ version: number }> }>(
      '/admin/policies/office',
    );
    assert.equal(shown.body.policy.current_version, 2);
    assert.deepEqual(
      shown.body.versions.map((v) => v.version),
      [2, 1],
    );
    const diff = await a1.get<{ diff: string; relaxations: string[]; from: number; to: number }>(
      '/admin/policies/office/diff',
    );
    assert.deepEqual([diff.body.from, diff.body.to], [1, 2]);
    assert.match(diff.body.diff, /^--- office v1\n\+\+\+ office v2\n@@ /);
    assert.match(diff.body.diff, /\n- {6}"10\.10\.0\.0\/16"\n\+ {6}"10\.10\.0\.0\/17"/);
    assert.deepEqual(diff.body.relaxations, []);
    const back = await a1.get<{ relaxations: string[] }>('/admin/policies/office/diff?from=2&to=1');
    assert.deepEqual(back.body.relaxations, ['routes added: 10.10.0.0/16']);
    assert.equal((await a1.get('/admin/policies/office/diff?from=0')).status, 400);
  });

  it('a widening version waits for a second administrator; the author cannot approve it', async () => {
    signals.length = 0;
    const before = await counts();
    const res = await a1.post<Pending>('/admin/policies/office/versions', {
      document: policyDoc(['10.10.0.0/17', '172.16.0.0/12'], { kill_switch: 'optional' }),
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.status, 'pending');
    const change = res.body.change;
    assert.equal(change.kind, 'policy_version');
    assert.equal(change.author, 'pol.first');
    assert.deepEqual(change.reasons, ['routes added: 172.16.0.0/12', 'kill switch no longer required']);
    assert.match(change.diff, /^new version 3 of policy office\n--- office v2\n\+\+\+ office v3\n/);
    assert.match(change.diff, /\n\+ {6}"172\.16\.0\.0\/12"/);
    const ttl = Date.parse(change.expires_at) - Date.parse(change.created_at);
    assert.equal(ttl, 24 * 3600_000);
    assert.deepEqual(await counts(), { ...before, changes: before.changes + 1 }, 'no version written');
    assert.equal(signals.length, 0);

    const pending = await a2.get<{ changes: PolicyChangeViewT[] }>('/admin/policies/changes');
    assert.deepEqual(
      pending.body.changes.map((c) => c.id),
      [change.id],
    );
    const self = await a1.post<{ details: string[] }>(`/admin/policies/changes/${change.id}/approve`);
    assert.deepEqual(refusal(self), { code: 'VIW_E_FORBIDDEN', status: 403 });
    assert.match(self.body.details[0]!, /author of a change cannot approve it/);
    assert.equal((await t.ctx.db.policy.findUnique({ where: { name: 'office' } }))?.currentVersion, 2);

    const approved = await a2.post<{ change: PolicyChangeViewT }>(
      `/admin/policies/changes/${change.id}/approve`,
    );
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.change.status, 'approved');
    assert.equal(approved.body.change.decider, 'pol.second');
    assert.equal(approved.body.change.applied_version, 3);
    const v3 = await a1.get<VersionReply>('/admin/policies/office/versions/3');
    assert.equal(v3.body.version.author_id, first.user.id);
    assert.equal(v3.body.version.approver, 'pol.second');
    assert.equal(v3.body.policy.current_version, 3);
    assert.equal(signals.length, 1);
    const again = await a2.post(`/admin/policies/changes/${change.id}/approve`);
    assert.deepEqual(refusal(again), { code: 'VIW_E_CONFLICT', status: 409 });
    assert.deepEqual(refusal(await a2.post(`/admin/policies/changes/${randomId()}/approve`)), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
  });

  it('a rejected or expired change cannot be approved; the author may withdraw', async () => {
    const widen = (routes: string[]) =>
      a1.post<Pending>('/admin/policies/office/versions', { document: policyDoc(routes) });
    const r1 = (await widen(['10.0.0.0/8'])).body.change;
    const rejected = await a2.post<{ change: PolicyChangeViewT }>(`/admin/policies/changes/${r1.id}/reject`);
    assert.equal(rejected.body.change.status, 'rejected');
    assert.deepEqual(refusal(await a2.post(`/admin/policies/changes/${r1.id}/approve`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    const r2 = (await widen(['192.168.0.0/16'])).body.change;
    const withdrawn = await a1.post<{ change: PolicyChangeViewT }>(`/admin/policies/changes/${r2.id}/reject`);
    assert.equal(withdrawn.body.change.decider, 'pol.first');

    const r3 = (await widen(['10.0.0.0/8'])).body.change;
    // Past its 24 h: the injectable clock moves a day ahead.
    const ctx = t.ctx as { now: AppContext['now'] };
    const realNow = ctx.now;
    ctx.now = () => new Date(Date.now() + 24 * 3600_000 + 1000);
    try {
      // (an admin session of that later day: today's would have ended by then)
      const later = await sessionFor(t.ctx, second.user);
      const late = await t.srv.call<{ details: string[] }>(`/admin/policies/changes/${r3.id}/approve`, {
        headers: bearer(later),
        json: {},
      });
      assert.deepEqual(refusal(late), { code: 'VIW_E_CONFLICT', status: 409 });
      assert.match(late.body.details[0]!, /expired/);
    } finally {
      ctx.now = realNow;
    }
    const shown = await a2.get<{ change: PolicyChangeViewT }>(`/admin/policies/changes/${r3.id}`);
    assert.equal(shown.body.change.status, 'expired');
    const all = await a2.get<{ changes: PolicyChangeViewT[] }>('/admin/policies/changes?status=all');
    assert.deepEqual(
      all.body.changes.slice(0, 4).map((c) => c.status),
      ['expired', 'rejected', 'rejected', 'approved'],
    );
    assert.equal((await a2.get<{ changes: unknown[] }>('/admin/policies/changes')).body.changes.length, 0);
    assert.equal((await t.ctx.db.policy.findUnique({ where: { name: 'office' } }))?.currentVersion, 3);
  });

  it('audits every step: ordinary changes at notice, relaxations requested or approved at critical', async () => {
    const steps = (await auditEvents('policy.relaxation_')).filter((e) =>
      e.error_msg?.endsWith('policy office'),
    );
    assert.deepEqual(
      steps.map((e) => `${e.action}:${e.result}`),
      [
        'policy.relaxation_requested:success',
        'policy.relaxation_approved:denied',
        'policy.relaxation_approved:success',
        'policy.relaxation_requested:success',
        'policy.relaxation_rejected:success',
        'policy.relaxation_requested:success',
        'policy.relaxation_rejected:success',
        'policy.relaxation_requested:success',
        'policy.relaxation_expired:success',
      ],
    );
    assert.ok(steps.every((e) => e.component === 'admin'));
    // The refused self-approval (approved:denied) is critical too: an attempt to widen access alone.
    assert.deepEqual(
      steps.map((e) => e.severity),
      ['critical', 'critical', 'critical', 'critical', 'error', 'critical', 'error', 'critical', 'error'],
    );
    // policy_id as login and bootstrap write it: the policy's wire id @ the version concerned.
    assert.deepEqual(
      steps.map((e) => e.policy_id?.replace(/^p-[0-9a-f]{32}@/, 'office@')),
      ['office@3', 'office@3', 'office@3', ...Array<string>(6).fill('office@4')],
    );
    assert.match(steps[0]!.error_msg ?? '', /^change [0-9a-f-]{36}: new version 3 of policy office$/);
    assert.equal(steps[1]!.error_code, 'VIW_E_FORBIDDEN');
    assert.equal(steps[8]!.cmd, null, 'expiry has no actor');
    const versions = await auditEvents('policy.version_created');
    assert.deepEqual(
      versions.map((e) => e.error_msg),
      ['new version 2 of policy office', 'new version 3 of policy office'],
    );
    assert.ok(versions.every((e) => e.severity === 'notice'));
    assert.equal((await auditEvents('policy.created')).length, 2);
  });

  it("a pending change expires on the session watcher's pass, before anyone reads the queue", async () => {
    const created = await a1.post('/admin/policies', {
      name: 'night',
      document: policyDoc(['10.30.0.0/16']),
    });
    assert.equal(created.status, 201, created.text);
    const held = await a1.post<Pending>('/admin/policies/night/versions', {
      document: policyDoc(['10.30.0.0/16', '10.31.0.0/16']),
    });
    assert.equal(held.status, 202, held.text);
    const id = held.body.change.id;
    const status = async () => (await t.ctx.db.policyChange.findUniqueOrThrow({ where: { id } })).status;
    // The injectable clock a day ahead; the server's own watcher (started with it) notices within
    // its poll. Only the database is read here: the admin routes would expire it lazily themselves.
    const ctx = t.ctx as { now: AppContext['now'] };
    const realNow = ctx.now;
    ctx.now = () => new Date(Date.now() + 24 * 3600_000 + 1000);
    try {
      const deadline = Date.now() + 10_000;
      while ((await status()) === 'pending' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      ctx.now = realNow;
    }
    assert.equal(await status(), 'expired');
    const expired = (await auditEvents('policy.relaxation_expired')).filter((e) =>
      e.error_msg?.startsWith(`change ${id}:`),
    );
    assert.equal(expired.length, 1);
    assert.equal(expired[0]!.cmd, null, 'the system expired it');
    assert.equal(expired[0]!.severity, 'error');
  });

  it('precedence through explain: user beats group, the lower priority group wins, else the default', async () => {
    const create = async (name: string, routes: string[]) =>
      assert.equal((await a1.post('/admin/policies', { name, document: policyDoc(routes) })).status, 201);
    await create('staff', ['10.0.0.0/8']);
    await create('contractor', ['10.10.1.0/24']);
    for (const [name, members] of [
      ['ops', ['alice']],
      ['everyone', ['alice', 'bob']],
    ] as const) {
      assert.equal((await a1.post('/admin/groups', { name })).status, 201);
      for (const m of members) {
        const added = await a1.post<{ status: string }>(`/admin/groups/${name}/members`, {
          user_id: users[m],
        });
        assert.equal(added.body.status, 'applied', 'groups without a policy change no one');
      }
    }
    // From the broad default to a narrower policy: applied at once.
    const assign = (policy: string, body: object) =>
      a1.post<{ status: string; assignment: AssignmentViewT } | Pending>(
        `/admin/policies/${policy}/assign`,
        body,
      );
    assert.equal((await assign('office', { group: 'ops', priority: 10 })).status, 200);
    assert.equal((await assign('staff', { group: 'everyone', priority: 50 })).status, 200);
    const explain = async (user: string, extra = '') =>
      (await a1.get<ExplainReplyT>(`/admin/policies/explain?user=${users[user]}${extra}`)).body;
    const ref = (e: ExplainReplyT) => [e.policy.name, e.policy.source, e.policy.group];
    assert.deepEqual(ref(await explain('alice')), ['office', 'group', 'ops']);
    assert.deepEqual(ref(await explain('bob')), ['staff', 'group', 'everyone']);
    const carol = await explain('carol');
    assert.deepEqual(ref(carol), ['default', 'default', null]);
    assert.deepEqual([carol.policy.policy_id, carol.policy.version], ['p-default', 0]);
    // Equal priorities: the group name decides (everyone < ops), so alice would get the wider staff.
    const tie = await assign('office', { group: 'ops', priority: 50 });
    assert.equal(tie.status, 202, tie.text);
    assert.match(
      (tie.body as Pending).change.diff,
      /alice: office v3 \(group ops\) -> staff v1 \(group everyone\)/,
    );
    // A user's own assignment beats every group.
    const own = await assign('contractor', { user_id: users.alice });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(ref(await explain('alice')), ['contractor', 'user', null]);
    const shown = await a1.get<{ assignments: AssignmentViewT[] }>('/admin/policies/staff');
    assert.deepEqual(
      shown.body.assignments.map((a) => [a.subject, a.priority]),
      [['everyone', 50]],
    );
  });

  it('an unassignment that falls back to a wider policy (or the default) waits for approval', async () => {
    const res = await a1.post<Pending>('/admin/policies/contractor/unassign', { user_id: users.alice });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.change.kind, 'unassignment');
    assert.ok(res.body.change.reasons.includes('alice: kill switch no longer required'), res.text);
    assert.ok(res.body.change.reasons.some((r) => r.startsWith('alice: routes added: 10.10.0.0/17')));
    assert.match(res.body.change.diff, /alice: contractor v1 \(own assignment\) -> office v3 \(group ops\)/);
    const ok = await a2.post<{ change: PolicyChangeViewT }>(
      `/admin/policies/changes/${res.body.change.id}/approve`,
    );
    assert.equal(ok.status, 200, ok.text);
    const explained = await a1.get<ExplainReplyT>(`/admin/policies/explain?user=${users.alice}`);
    assert.deepEqual([explained.body.policy.name, explained.body.policy.version], ['office', 3]);
    // Unassigning staff from everyone sends bob back to the built-in default: wider, so pending.
    const toDefault = await a1.post<Pending>('/admin/policies/staff/unassign', { group: 'everyone' });
    assert.equal(toDefault.status, 202);
    assert.ok(toDefault.body.change.reasons.includes('bob: routes lifted (full tunnel, any network)'));
    assert.deepEqual(refusal(await a1.post('/admin/policies/office/unassign', { group: 'everyone' })), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
    const both = await a1.post('/admin/policies/office/unassign', { group: 'ops', user_id: users.bob });
    assert.deepEqual(refusal(both), { code: 'VIW_E_VALIDATION', status: 400 });
    const userPriority = await a1.post('/admin/policies/office/assign', { user_id: users.bob, priority: 1 });
    assert.deepEqual(refusal(userPriority), { code: 'VIW_E_VALIDATION', status: 400 });
  });

  it('explain evaluates every rule against the device, the address and the time', async () => {
    const device = await createDevice(t.ctx, users.carol!, 'active');
    const strict = policyDoc(['10.30.0.0/16'], {
      posture: { ...policyDoc([]).posture, min_key_protection: 'hardware' },
      schedule: {
        time_zone: 'Europe/Berlin',
        windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
      },
      geo: {
        allow_countries: [],
        deny_countries: ['RU'],
        allow_asns: [],
        deny_asns: [],
        allow_unknown: false,
      },
    });
    assert.equal((await a1.post('/admin/policies', { name: 'strict', document: strict })).status, 201);
    assert.equal((await a1.post('/admin/policies/strict/assign', { user_id: users.carol })).status, 200);
    const geo = t.ctx.geo as { describe: AppContext['geo']['describe'] };
    const realDescribe = geo.describe;
    geo.describe = (ip) =>
      ip === '203.0.113.9'
        ? { network: 'public', country: 'RU', asn: { number: 64500, organization: 'Example' } }
        : { network: 'public', country: 'DE', asn: { number: 3320, organization: 'DTAG' } };
    try {
      const q = (extra: string) =>
        a1.get<ExplainReplyT>(`/admin/policies/explain?user=${users.carol}&device=${device.id}${extra}`);
      // Wednesday 10:00 in Berlin, from Germany: only the software key fails.
      const r = (await q('&ip=198.51.100.7&at=2026-12-02T09:00:00Z')).body;
      assert.equal(r.allowed, false);
      assert.equal(r.denied_by, 'posture.key_protection');
      assert.equal(r.code, 'VIW_E_POLICY_POSTURE');
      assert.equal(r.rules.length, 9);
      assert.deepEqual(
        r.rules.filter((x) => !x.allowed).map((x) => x.rule),
        ['posture.key_protection'],
      );
      assert.deepEqual([r.facts.country, r.facts.asn, r.facts.key_protection], ['DE', 3320, 'software']);
      await t.ctx.db.desktopDevice.update({ where: { id: device.id }, data: { keyProtection: 'tpm2' } });
      assert.equal((await q('&ip=198.51.100.7&at=2026-12-02T09:00:00Z')).body.allowed, true);
      // Saturday: the schedule denies first; from the denied country: location.
      const sat = (await q('&ip=203.0.113.9&at=2026-12-05T09:00:00Z')).body;
      assert.deepEqual(
        sat.rules.filter((x) => !x.allowed).map((x) => x.rule),
        ['schedule', 'geo.country'],
      );
      assert.equal(sat.code, 'VIW_E_POLICY_SCHEDULE');
      // No address: the source is unknown and this policy refuses unknown sources.
      const unknown = (await q('&at=2026-12-02T09:00:00Z')).body;
      assert.equal(unknown.denied_by, 'geo.unknown');
    } finally {
      geo.describe = realDescribe;
    }
    const other = await createDevice(t.ctx, users.bob!, 'active');
    const foreign = await a1.get(`/admin/policies/explain?user=${users.carol}&device=${other.id}`);
    assert.deepEqual(refusal(foreign), { code: 'VIW_E_NOT_FOUND', status: 404 });
    assert.deepEqual(refusal(await a1.get(`/admin/policies/explain?user=${randomId()}`)), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
    assert.deepEqual(refusal(await a1.get(`/admin/policies/explain?user=${users.carol}&ip=999.1.1.1`)), {
      code: 'VIW_E_VALIDATION',
      status: 400,
    });
  });

  it('a gateway registered without a full tunnel waits for a second administrator (#14)', async () => {
    const name = 'split-gw';
    const gateway = {
      name,
      fqdn: 'split-gw.test.internal',
      addresses: ['192.0.2.44'],
      ssh_host: '192.0.2.44',
      ssh_port: 2222,
      ssh_host_key_fingerprint: `SHA256:${'A'.repeat(43)}`,
      settings: { backend_cidrs: ['192.0.2.1/32'], redirect_gateway: false, push_routes: ['10.44.0.0/16'] },
    };
    const held = await a1.post<Pending>('/admin/gateways', gateway);
    assert.equal(held.status, 202, held.text);
    assert.equal(held.body.change.kind, 'gateway_add');
    assert.match(held.body.change.reasons.join(' '), /split-gw added without a full tunnel/);
    assert.match(held.body.change.diff, /"redirect_gateway": false/);
    assert.equal(await t.ctx.db.gateway.count({ where: { name } }), 0, 'nothing registered yet');
    assert.deepEqual(refusal(await a1.post(`/admin/policies/changes/${held.body.change.id}/approve`)), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
    const approved = await a2.post<{ change: { status: string } }>(
      `/admin/policies/changes/${held.body.change.id}/approve`,
    );
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.change.status, 'approved');
    const row = await t.ctx.db.gateway.findUniqueOrThrow({ where: { name } });
    assert.equal(JSON.parse(row.settings).redirect_gateway, false);
    assert.equal(row.sshHostKeyFingerprint, gateway.ssh_host_key_fingerprint);
    const steps = (await auditEvents('policy.relaxation_')).map((e) => e.action);
    assert.ok(steps.includes('policy.relaxation_requested') && steps.includes('policy.relaxation_approved'));
    assert.ok((await auditEvents('admin.gateway_add')).some((e) => e.result === 'success'));
    // A full-tunnel gateway registers at once, as before.
    const direct = await a1.post<{ gateway: { name: string } }>('/admin/gateways', {
      ...gateway,
      name: 'full-gw',
      settings: { backend_cidrs: ['192.0.2.1/32'] },
    });
    assert.equal(direct.status, 200, direct.text);
  });

  it('Operators and Auditors read and explain; they cannot write or approve', async () => {
    for (const who of ['auditor', 'operator'] as const) {
      const r = as(who);
      assert.equal((await r.get('/admin/policies')).status, 200);
      assert.equal((await r.get('/admin/policies/office')).status, 200);
      assert.equal((await r.get('/admin/policies/changes')).status, 200);
      assert.equal((await r.get(`/admin/policies/explain?user=${users.bob}`)).status, 200);
      assert.equal((await r.get('/admin/groups')).status, 200);
      const write = await r.post('/admin/policies', { name: 'nope', document: policyDoc([]) });
      assert.deepEqual(refusal(write), { code: 'VIW_E_FORBIDDEN', status: 403 });
      const pending = (await a2.get<{ changes: PolicyChangeViewT[] }>('/admin/policies/changes')).body
        .changes[0]!;
      assert.deepEqual(refusal(await r.post(`/admin/policies/changes/${pending.id}/approve`)), {
        code: 'VIW_E_FORBIDDEN',
        status: 403,
      });
    }
  });
});
