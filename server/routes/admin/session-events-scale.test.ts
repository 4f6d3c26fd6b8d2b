// The admin panel's live data with two backend instances on one PostgreSQL + Redis (the scale-out
// setup): a session that starts on B and is terminated through B shows on a stream held by A —
// the end within a second —, a logout on B ends A's stream, and both instances give the same
// overview (it is read from the database, not from either instance's memory).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OverviewReplyT } from '../../../core/api/admin-overview.js';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { postgresPeers, startPostgres, type TestPostgres } from '../../../scripts/testkit/postgres.js';
import { REDIS_SERVER, startTestRedis, type TestRedis } from '../../../scripts/testkit/redis.js';
import { bearer, createAccount, sessionFor } from '../../testing/admin-fixtures.js';
import { adminClientOf, nextValue, nextWithin } from '../../testing/admin-stream.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../../testing/harness.js';

const skip = postgresPeers().skip ?? needPeers({ binaries: [REDIS_SERVER], apt: 'redis-server' }).skip;

describe('admin live data across two instances (PostgreSQL + Redis)', { skip }, () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let dataDir: string;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startTestRedis()]);
    dataDir = mkdtempSync(join(tmpdir(), 'viw-admin-scale-'));
    const shared = { dataDir, databaseUrl: pg.url, redisUrl: redis.url };
    a = await startTestServer(shared);
    b = await startTestServer(shared);
  });
  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([pg?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a session started and terminated on B shows on A; a logout on B ends the stream on A', async () => {
    const ctxB = b.server.ctx!;
    const watcher = await sessionFor(ctxB, (await createAccount(ctxB, 'Auditor')).user);
    const operator = await sessionFor(ctxB, (await createAccount(ctxB, 'Operator')).user);
    const events = await adminClientOf(a, watcher).watchSessions();
    try {
      const d = await enrolledDesktop(ctxB);
      const boot = await fetchBootstrap<{ session_id: string }>(b, await loginTokens(ctxB, d));
      assert.equal(boot.status, 200, boot.text);
      const id = fromWireId('s', boot.body.session_id)!;
      const started = await nextValue(events);
      assert.deepEqual([started.id, started.state], [id, 'live']);

      const asked = Date.now();
      const terminate = b.call(`/admin/sessions/${id}/terminate`, {
        method: 'POST',
        headers: bearer(operator),
      });
      const ended = await nextValue(events);
      const elapsed = Date.now() - asked;
      assert.equal((await terminate).status, 200);
      assert.deepEqual([ended.id, ended.state, ended.end_reason], [id, 'ended', 'revoked']);
      assert.ok(elapsed < 1000, `the end showed on the other instance after ${elapsed} ms`);

      assert.equal((await b.call('/admin/logout', { method: 'POST', headers: bearer(watcher) })).status, 204);
      assert.equal((await nextWithin(events, 15_000)).done, true, 'the stream on A ended with the session');
    } finally {
      await events.return();
    }
  });

  it('both instances give the same overview', async () => {
    const token = await sessionFor(a.server.ctx!, (await createAccount(a.server.ctx!, 'Auditor')).user);
    await a.server.ctx!.audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    await b.server.ctx!.audit.record({ component: 'backend', action: 'auth.login', result: 'failure' });
    const read = async (s: TestServer) => {
      const r = await s.call<OverviewReplyT>('/admin/overview', { headers: bearer(token) });
      assert.equal(r.status, 200, r.text);
      const { generated_at: _g, funnel, ...rest } = r.body;
      return { ...rest, stages: funnel.stages, complete: funnel.complete };
    };
    // Detections may still be raising alerts from these events: compare B with a reading of A that
    // did not change around it.
    let fromA = await read(a);
    let fromB = await read(b);
    for (let i = 0; i < 10; i++) {
      const again = await read(a);
      if (JSON.stringify(again) === JSON.stringify(fromA)) break;
      [fromA, fromB] = [again, await read(b)];
    }
    assert.deepEqual(fromB, fromA);
    const login = fromA.stages.find((s) => s.stage === 'login')!;
    assert.ok(login.success >= 1 && login.failed >= 1, "each instance counts the other one's events");
  });
});
