// SessionMonitor against the real backend (a live session made through the server's own fixtures):
// heartbeats reach the backend, a revocation ends the session, and idle auto-logout fires when the
// tunnel reports no traffic for the idle timeout. Intervals are shortened; nothing is faked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BootstrapResponse } from '../../core/api/client.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';
import { endSessions } from '../../server/services/sessions.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../server/testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { BackendClient } from '../backend/backend-client.js';
import { DaemonLog } from '../log/daemon-log.js';
import { type EndReason, SessionMonitor } from './session-monitor.js';

let ts: TestServer;
before(async () => {
  ts = await startTestServer({ mode: 'development' });
});
after(() => ts?.stop());

async function liveSession() {
  const ctx = ts.server.ctx!;
  const t = await loginTokens(ctx, await enrolledDesktop(ctx));
  const r = await fetchBootstrap<BootstrapResponse>(ts, t);
  assert.equal(r.status, 200, r.text);
  return { token: t.accessToken, sid: r.body.session_id, id: fromWireId('s', r.body.session_id)! };
}

function monitor(s: { token: string; sid: string }, idleTimeoutS: number) {
  let settle!: (v: { reason: EndReason; err: ViworksError | null }) => void;
  const ended = new Promise<{ reason: EndReason; err: ViworksError | null }>((r) => {
    settle = r;
  });
  const m = new SessionMonitor({
    backend: new BackendClient({
      url: `https://127.0.0.1:${ts.server.port}`,
      caPem: ts.ca,
      pins: ts.server.banner.backend_pins,
    }),
    accessToken: s.token,
    sessionId: s.sid,
    heartbeatS: 0.2,
    idleTimeoutS,
    log: new DaemonLog({ sink: () => undefined }),
    onEnd: (reason, err) => settle({ reason, err }),
  });
  m.start();
  return { m, ended };
}

describe('SessionMonitor', () => {
  it('sends heartbeats, and ends on a revocation', async () => {
    const s = await liveSession();
    const { ended } = monitor(s, 60);
    await new Promise((r) => setTimeout(r, 700));
    const row = await ts.server.ctx!.db.session.findUniqueOrThrow({ where: { id: s.id } });
    assert.ok(row.lastHeartbeatAt, 'the backend saw a heartbeat');
    await endSessions(ts.server.ctx!.sessionEnd, { sessionId: s.id }, 'revoked');
    const end = await ended;
    assert.equal(end.reason, 'revoked');
    assert.equal(end.err?.code, 'VIW_E_SESSION_REVOKED');
  });

  it('logs out when the tunnel has been idle longer than the idle timeout', async () => {
    const s = await liveSession();
    const { m, ended } = monitor(s, 1);
    m.watchActivity(() => Date.now() - 5000);
    const end = await ended;
    assert.equal(end.reason, 'idle');
    assert.equal(end.err, null);
  });
});
