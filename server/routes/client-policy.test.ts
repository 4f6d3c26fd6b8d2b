// Access policy at bootstrap and for live sessions (issue #14), against a real backend: the policy
// assigned to the user shapes the session (split tunnel, its id and version on the session row and
// in the audit event); a policy that denies refuses the bootstrap with its VIW_E_POLICY_* code and
// the rule; a change that no longer allows a live session ends it (reason `policy`) within 10 s; a
// change that still allows it re-tags it; a schedule window that closes ends it; a lower lifetime
// moves a live session's expiry earlier (what the heartbeat answers) or ends it when already past.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BootstrapResponse } from '../../core/api/client.js';
import type { PolicyDocument } from '../../core/api/policy.js';
import { parseBootstrap } from '../../core/bootstrap/payload.js';
import { fromWireId, toWireId } from '../../core/bootstrap/wire-ids.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import type { AppContext } from '../context.js';
import { defaultPolicyDocument } from '../services/policy/resolve.js';
import { reevaluateSessions } from '../services/policy/session-watcher.js';
import { type Desktop, enrolledDesktop, fetchBootstrap, loginTokens } from '../testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../testing/harness.js';

let srv: TestServer;
let ctx: AppContext;

before(async () => {
  srv = await startTestServer();
  ctx = srv.server.ctx!;
});
after(() => srv.stop());

const doc = (patch: (d: PolicyDocument) => void): PolicyDocument => {
  const d = structuredClone(defaultPolicyDocument(ctx.config)) as PolicyDocument;
  patch(d);
  return d;
};
/** A schedule that is closed right now (a one-hour window twelve hours away). */
const closedNow = (): PolicyDocument['schedule'] => {
  const h = (new Date().getUTCHours() + 12) % 24;
  const hh = String(h).padStart(2, '0');
  const to = String((h + 1) % 24).padStart(2, '0');
  return {
    time_zone: 'UTC',
    windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: `${hh}:00`, to: `${to}:00` }],
  };
};

/** A policy written straight into the store and assigned to the user (the admin API is tested elsewhere). */
async function assign(d: Desktop, document: PolicyDocument): Promise<{ id: string; wire: string }> {
  const p = await ctx.db.policy.create({
    data: {
      name: `t-${d.user.id.slice(-12)}`,
      currentVersion: 1,
      versions: { create: { version: 1, document: JSON.stringify(document), authorId: d.user.id } },
    },
  });
  await ctx.db.policyAssignment.create({
    data: { subjectType: 'user', subjectId: d.user.id, policyId: p.id },
  });
  return { id: p.id, wire: toWireId('p', p.id) };
}

async function newVersion(policyId: string, document: PolicyDocument, authorId: string): Promise<number> {
  const p = await ctx.db.policy.findUniqueOrThrow({ where: { id: policyId } });
  const version = p.currentVersion + 1;
  await ctx.db.$transaction([
    ctx.db.policyVersion.create({
      data: { policyId, version, document: JSON.stringify(document), authorId },
    }),
    ctx.db.policy.update({ where: { id: policyId }, data: { currentVersion: version } }),
  ]);
  return version;
}

async function bootstrap(d: Desktop) {
  return (await bootstrapWithToken(d)).reply;
}

async function bootstrapWithToken(d: Desktop) {
  const t = await loginTokens(ctx, d);
  const reply = await fetchBootstrap<BootstrapResponse & { code?: string; details?: string[] }>(srv, t);
  return { reply, accessToken: t.accessToken };
}

async function lastAudit(action: string) {
  const rows = await ctx.db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 50 });
  const events = rows.map((r) => JSON.parse(r.event) as Record<string, unknown>);
  return events.find((e) => e.action === action) ?? null;
}

describe('access policy at bootstrap and for live sessions', () => {
  it('a split-tunnel policy shapes the session: routes, DNS, lifetime, kill switch, client zones; its id and version on the row and in the audit', async () => {
    const d = await enrolledDesktop(ctx);
    const p = await assign(
      d,
      doc((x) => {
        x.tunnel = { mode: 'split', routes: ['10.77.1.0/24'] };
        x.dns = { servers: ['10.77.1.53', '10.77.1.54'], search_domains: ['corp.example', 'lab.example'] };
        x.session.lifetime_s = 5400;
        x.session.idle_timeout_s = 600;
        x.kill_switch = 'required';
        x.client_time_zones = ['Europe/Berlin', 'Europe/Vienna'];
      }),
    );
    const reply = await bootstrap(d);
    assert.equal(reply.status, 200, reply.text);
    const pt = await openEnvelope(reply.body.envelope, {
      recipientKey: d.recipientKey,
      expectedDeviceId: d.wireDeviceId,
      expectedSessionId: reply.body.session_id,
    });
    const payload = parseBootstrap(pt);
    pt.fill(0);
    assert.equal(payload.policy.id, p.wire);
    assert.equal(payload.policy.idle_timeout_s, 600);
    assert.equal(payload.ovpn.redirect_gateway, false);
    assert.deepEqual(payload.ovpn.dns_push, ['10.77.1.53', '10.77.1.54']);
    assert.deepEqual(payload.ovpn.dns_search, ['corp.example', 'lab.example']);
    assert.equal(payload.policy.kill_switch, 'required');
    assert.deepEqual(payload.policy.allowed_timezones, ['Europe/Berlin', 'Europe/Vienna']);
    const session = await ctx.db.session.findUniqueOrThrow({
      where: { id: fromWireId('s', reply.body.session_id)! },
    });
    // The session ends after the policy's lifetime, and the reply says when.
    assert.equal(reply.body.expires_at, session.expiresAt.toISOString());
    const lifetimeMs = session.expiresAt.getTime() - session.createdAt.getTime();
    assert.ok(Math.abs(lifetimeMs - 5400_000) < 5000, `a 5400 s session (${lifetimeMs} ms)`);
    assert.equal(session.policyId, p.wire);
    assert.equal(session.policyVersion, 1);
    assert.equal((await lastAudit('bootstrap.issue'))?.policy_id, `${p.wire}@1`);
  });

  it('a policy that denies refuses the bootstrap with its code and the rule, audited', async () => {
    const d = await enrolledDesktop(ctx);
    await assign(
      d,
      doc((x) => {
        x.schedule = closedNow();
      }),
    );
    const reply = await bootstrap(d);
    assert.equal(reply.status, 403, reply.text);
    assert.equal(reply.body.code, 'VIW_E_POLICY_SCHEDULE');
    assert.match(reply.body.details?.join(' ') ?? '', /policy rule schedule/);
    const audit = await lastAudit('bootstrap.issue');
    assert.equal(audit?.result, 'denied');
    assert.equal(audit?.error_code, 'VIW_E_POLICY_SCHEDULE');
    assert.match(String(audit?.error_msg), /policy rule schedule/);
    assert.equal(await ctx.db.session.count({ where: { userId: d.user.id } }), 0, 'no session made');
  });

  it('a new version that no longer allows a live session ends it within 10 s; one that allows re-tags it', async () => {
    const d = await enrolledDesktop(ctx);
    const p = await assign(
      d,
      doc(() => undefined),
    );
    const first = await bootstrap(d);
    assert.equal(first.status, 200, first.text);
    const sessionId = fromWireId('s', first.body.session_id)!;

    const v2 = await newVersion(
      p.id,
      doc((x) => {
        x.session.idle_timeout_s = 700;
      }),
      d.user.id,
    );
    ctx.policyWatch.changed('test: a narrowing version');
    await waitFor(
      async () => (await ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } })).policyVersion === v2,
    );
    assert.equal((await ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endedAt, null);

    await newVersion(
      p.id,
      doc((x) => {
        x.schedule = closedNow();
      }),
      d.user.id,
    );
    const t0 = performance.now();
    ctx.policyWatch.changed('test: a closed schedule');
    await waitFor(
      async () => (await ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endedAt !== null,
    );
    const ms = Math.round(performance.now() - t0);
    process.stdout.write(`# a live session ended ${ms} ms after the policy change\n`);
    assert.ok(ms < 10_000, `ended within 10 s (${ms} ms)`);
    const ended = await ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    assert.equal(ended.endReason, 'policy');
    // The watcher records the event once endSessions (certificate, gateway) has returned.
    await waitFor(async () => (await lastAudit('policy.session_end'))?.session_id === sessionId);
    const audit = await lastAudit('policy.session_end');
    assert.match(String(audit?.error_msg), /policy rule schedule/);
  });

  it('a schedule window that closes ends the session at the boundary', async () => {
    const d = await enrolledDesktop(ctx);
    const now = new Date();
    const hh = String(now.getUTCHours()).padStart(2, '0');
    const next = String((now.getUTCHours() + 1) % 24).padStart(2, '0');
    await assign(
      d,
      doc((x) => {
        x.schedule = {
          time_zone: 'UTC',
          windows: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: `${hh}:00`, to: `${next}:00` },
          ],
        };
      }),
    );
    const reply = await bootstrap(d);
    assert.equal(reply.status, 200, reply.text);
    const sessionId = fromWireId('s', reply.body.session_id)!;
    const inside = await reevaluateSessions(ctx, 'test: inside the window');
    assert.ok(!inside.ended.some((e) => e.sessionId === sessionId));
    assert.ok(
      inside.nextBoundary && inside.nextBoundary.getTime() <= now.getTime() + 3600_000,
      'the boundary is known',
    );
    const later = await reevaluateSessions(
      { ...ctx, now: () => new Date(inside.nextBoundary!.getTime() + 1000) },
      'test: past the window',
    );
    assert.deepEqual(
      later.ended.filter((e) => e.sessionId === sessionId).map((e) => e.denial.split(':')[0]),
      ['policy rule schedule'],
    );
  });
});

describe('a lower lifetime on live sessions', () => {
  it('moves the expiry to creation + the new lifetime (the heartbeat answers it); a session already older ends', async () => {
    const d = await enrolledDesktop(ctx);
    const p = await assign(
      d,
      doc(() => undefined),
    );
    const { reply, accessToken } = await bootstrapWithToken(d);
    assert.equal(reply.status, 200, reply.text);
    const sessionId = fromWireId('s', reply.body.session_id)!;
    const row = () => ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    const created = await row();
    assert.ok(created.expiresAt.getTime() - created.createdAt.getTime() > 3600_000, 'a long session first');

    await newVersion(
      p.id,
      doc((x) => {
        x.session.lifetime_s = 1800;
        x.session.idle_timeout_s = 600;
      }),
      d.user.id,
    );
    await reevaluateSessions(ctx, 'test: a shorter lifetime');
    const shortened = await row();
    assert.equal(shortened.endedAt, null, 'still allowed');
    assert.equal(shortened.policyVersion, 2);
    assert.equal(shortened.expiresAt.getTime(), created.createdAt.getTime() + 1800_000);
    const beat = await srv.call<{ expires_at: string; idle_timeout_s: number }>('/client/heartbeat', {
      method: 'POST',
      json: { session_id: reply.body.session_id },
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.equal(beat.status, 200, beat.text);
    assert.equal(beat.body.expires_at, shortened.expiresAt.toISOString(), 'the client hears the new end');
    assert.equal(beat.body.idle_timeout_s, 600);

    // A longer lifetime never extends a live session.
    await newVersion(
      p.id,
      doc((x) => {
        x.session.lifetime_s = 7200;
      }),
      d.user.id,
    );
    await reevaluateSessions(ctx, 'test: a longer lifetime');
    assert.equal((await row()).expiresAt.getTime(), shortened.expiresAt.getTime());

    // Ten minutes in, a five-minute lifetime: the session is already past it and ends now.
    await newVersion(
      p.id,
      doc((x) => {
        x.session.lifetime_s = 300;
        x.session.idle_timeout_s = 60;
      }),
      d.user.id,
    );
    const later = await reevaluateSessions(
      { ...ctx, now: () => new Date(created.createdAt.getTime() + 600_000) },
      'test: a lifetime already run out',
    );
    assert.deepEqual(
      later.ended.filter((e) => e.sessionId === sessionId).map((e) => e.denial.split(':')[0]),
      ['session lifetime'],
    );
    const ended = await row();
    assert.equal(ended.endReason, 'policy');
    const audit = await lastAudit('policy.session_end');
    assert.equal(audit?.session_id, sessionId);
    assert.match(String(audit?.error_msg), /session lifetime: older than the policy's 300 s/);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
