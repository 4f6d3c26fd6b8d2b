// GET /admin/sessions/events through the real Fastify app, read by the typed AdminClient over pinned
// HTTPS: a real bootstrap, heartbeat and admin terminate each push the session's row; the stream
// ends with the admin session (logout), is capped per administrator, and refuses like every route.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionViewT } from '../../../core/api/admin.js';
import { ADMIN_STREAMS_PER_ADMIN } from '../../../core/api/admin-session-events.js';
import type { AdminSessionWatch } from '../../../core/backendclient/admin-session-events.js';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';
import { adminClientOf, nextValue, nextWithin } from '../../testing/admin-stream.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../testing/client-fixtures.js';

describe('admin API: live session events', () => {
  let t: AdminTestServer;
  let auditor: string;
  let operator: string;
  before(async () => {
    t = await startAdminTestServer();
    auditor = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
    operator = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user);
  });
  after(async () => t.srv.stop());

  /** A real VPN session: an enrolled desktop's bootstrap. */
  async function startSession() {
    const d = await enrolledDesktop(t.ctx);
    const tokens = await loginTokens(t.ctx, d);
    const boot = await fetchBootstrap<{ session_id: string }>(t.srv, tokens);
    assert.equal(boot.status, 200, boot.text);
    return {
      wire: boot.body.session_id,
      id: fromWireId('s', boot.body.session_id)!,
      token: tokens.accessToken,
    };
  }
  const heartbeat = (s: { wire: string; token: string }) =>
    t.srv.call('/client/heartbeat', { headers: bearer(s.token), json: { session_id: s.wire } });

  it('pushes the row when a session starts, is first heard from and ends — the end within a second', async () => {
    const events = await adminClientOf(t.srv, auditor).watchSessions();
    try {
      const s = await startSession();
      const started = await nextValue(events);
      assert.equal(started.id, s.id);
      assert.equal(started.state, 'live');
      assert.equal(started.last_heartbeat_at, null);

      assert.equal((await heartbeat(s)).status, 200);
      const heard = await nextValue(events);
      assert.equal(heard.id, s.id);
      assert.ok(heard.last_heartbeat_at, 'the first heartbeat is pushed');
      // Later heartbeats are not: the next row after this one is the end.
      assert.equal((await heartbeat(s)).status, 200);

      const asked = Date.now();
      const terminate = t.srv.call<{ session: SessionViewT }>(`/admin/sessions/${s.id}/terminate`, {
        method: 'POST',
        headers: bearer(operator),
      });
      const ended = await nextValue(events);
      const elapsed = Date.now() - asked;
      assert.equal((await terminate).status, 200);
      assert.deepEqual([ended.id, ended.state, ended.end_reason], [s.id, 'ended', 'revoked']);
      assert.ok(elapsed < 1000, `the end showed after ${elapsed} ms`);
      // The row is the list's row, field for field.
      const listed = await t.srv.call<{ sessions: SessionViewT[] }>(
        `/admin/sessions?state=all&user_id=${ended.user_id}`,
        {
          headers: bearer(auditor),
        },
      );
      assert.deepEqual(
        listed.body.sessions.find((x) => x.id === s.id),
        ended,
      );
    } finally {
      await events.return();
    }
  });

  it('every watcher gets every row; a stream ends when its admin session does (logout)', async () => {
    const account = await createAccount(t.ctx, 'Admin');
    const token = await sessionFor(t.ctx, account.user);
    const mine = await adminClientOf(t.srv, token).watchSessions();
    const theirs = await adminClientOf(t.srv, auditor).watchSessions();
    try {
      const s = await startSession();
      assert.equal((await nextValue(mine)).id, s.id);
      assert.equal((await nextValue(theirs)).id, s.id);
      const out = await t.srv.call('/admin/logout', { method: 'POST', headers: bearer(token) });
      assert.equal(out.status, 204);
      // Ended by the server within its session check period (5 s); the other stream lives on.
      assert.equal((await nextWithin(mine, 15_000)).done, true);
      const s2 = await startSession();
      assert.equal((await nextValue(theirs)).id, s2.id);
    } finally {
      await mine.return();
      await theirs.return();
    }
  });

  it(`caps the open streams per administrator at ${ADMIN_STREAMS_PER_ADMIN}; others are not held back`, async () => {
    const token = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
    const client = adminClientOf(t.srv, token);
    const open = [];
    for (let i = 0; i < ADMIN_STREAMS_PER_ADMIN; i++) open.push(await client.watchSessions());
    try {
      await assert.rejects(client.watchSessions(), (err: unknown) =>
        isViworksError(err, 'VIW_E_TOO_MANY_STREAMS'),
      );
      const other = await adminClientOf(t.srv, operator).watchSessions();
      await other.return();
      // One closed, one more may open (the server frees its slot when it sees the hang-up).
      await open.pop()!.return();
      let reopened: AdminSessionWatch | null = null;
      for (let attempt = 0; attempt < 50 && !reopened; attempt++) {
        reopened = await client.watchSessions().catch(async (err: unknown) => {
          if (!isViworksError(err, 'VIW_E_TOO_MANY_STREAMS')) throw err;
          await new Promise((r) => setTimeout(r, 100));
          return null;
        });
      }
      assert.ok(reopened, 'a slot was freed');
      open.push(reopened);
    } finally {
      for (const s of open) await s.return();
    }
  });

  it('refuses without a session (401), a setup session (403), a desktop user (401) and unknown parameters', async () => {
    const path = '/admin/sessions/events';
    assert.deepEqual(refusal(await t.srv.call(path)), { code: 'VIW_E_AUTH_REQUIRED', status: 401 });
    const setup = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user, 'setup');
    assert.deepEqual(refusal(await t.srv.call(path, { headers: bearer(setup) })), {
      code: 'VIW_E_SETUP_REQUIRED',
      status: 403,
    });
    // Every admin role may read sessions; an account of role User has no admin session at all.
    const user = await sessionFor(t.ctx, (await createAccount(t.ctx, 'User')).user);
    assert.deepEqual(refusal(await t.srv.call(path, { headers: bearer(user) })), {
      code: 'VIW_E_TOKEN_INVALID',
      status: 401,
    });
    assert.deepEqual(refusal(await t.srv.call(`${path}?since=1`, { headers: bearer(auditor) })), {
      code: 'VIW_E_UNKNOWN_FIELD',
      status: 400,
    });
  });
});
