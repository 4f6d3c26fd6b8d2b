// SessionMonitor against the real backend (a live session made through the server's own fixtures):
// heartbeats reach the backend, a revocation ends the session, and idle auto-logout fires when the
// tunnel reports no traffic for the idle timeout. Intervals are shortened; nothing is faked.
// The idle rule itself (checkIdle) is then driven step by step with a fake monotonic clock and a fake
// proxy handle whose traffic advances or not, through SessionTraffic as connect.ts wires it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BootstrapResponse } from '../../core/api/client.js';
import { pinnedBackendClient } from '../../core/backendclient/pinned-transport.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';
import { endSessions } from '../../server/services/client/end-sessions.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../server/testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { DaemonLog } from '../log/daemon-log.js';
import { fakeTlsHandle } from '../testing/fakes.js';
import { type EndReason, SessionMonitor } from './session-monitor.js';
import { SessionTraffic } from './traffic.js';

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

function monitor(
  s: { token: string; sid: string },
  idleTimeoutS: number,
  now?: () => number,
  opts: { heartbeatS?: number; start?: boolean } = {},
) {
  let settle!: (v: { reason: EndReason; err: ViworksError | null }) => void;
  const ended = new Promise<{ reason: EndReason; err: ViworksError | null }>((r) => {
    settle = r;
  });
  const ends: EndReason[] = [];
  const m = new SessionMonitor({
    backend: pinnedBackendClient({
      url: `https://127.0.0.1:${ts.server.port}`,
      caPem: ts.ca,
      pins: ts.server.banner.backend_pins,
    }),
    accessToken: s.token,
    sessionId: s.sid,
    heartbeatS: opts.heartbeatS ?? 0.2,
    idleTimeoutS,
    log: new DaemonLog({ sink: () => undefined }),
    onEnd: (reason, err) => {
      ends.push(reason);
      settle({ reason, err });
    },
    ...(now ? { now } : {}),
  });
  if (opts.start !== false) m.start();
  return { m, ended, ends };
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

  it('a session ended by the access policy says so in the error (#14)', async () => {
    const s = await liveSession();
    const { ended } = monitor(s, 60);
    await endSessions(ts.server.ctx!.sessionEnd, { sessionId: s.id }, 'policy');
    const end = await ended;
    assert.equal(end.err?.code, 'VIW_E_SESSION_REVOKED');
    assert.match(end.err?.details[0] ?? '', /^policy: your access policy no longer allows/);
  });

  it('confirmLive, asked when a tunnel dies: true while the session lives; false once the backend ended it, and the monitor ends it', async () => {
    const s = await liveSession();
    const { m, ends } = monitor(s, 60, undefined, { heartbeatS: 3600, start: false });
    // Not started: only confirmLive talks to the backend.
    assert.equal(await m.confirmLive(), true);
    assert.deepEqual(ends, []);
    await endSessions(ts.server.ctx!.sessionEnd, { sessionId: s.id }, 'revoked');
    assert.equal(await m.confirmLive(), false);
    assert.deepEqual(ends, ['revoked']);
    assert.equal(await m.confirmLive(), false, 'an ended monitor stays ended');
    assert.deepEqual(ends, ['revoked'], 'onEnd once');
  });

  it('logs out when the tunnel has been idle longer than the idle timeout', async () => {
    const s = await liveSession();
    const { m, ended } = monitor(s, 1);
    m.watchActivity(() => performance.now() - 5000);
    const end = await ended;
    assert.equal(end.reason, 'idle');
    assert.equal(end.err, null);
  });

  it('never logs out before a tunnel reported its traffic (connecting, restarting)', async () => {
    const s = await liveSession();
    let reads = 0;
    let beat!: () => void;
    const beaten = new Promise<string>((r) => {
      beat = () => r('running');
    });
    // The clock runs a day per read (one at start, one per successful heartbeat): an idle check
    // with any signal would fire at once. After the first heartbeat the backend's own interval
    // (tens of seconds) applies, so the later checks are made here rather than waited for.
    const { m, ended } = monitor(s, 60, () => {
      if (++reads === 2) beat();
      return reads * 86_400_000;
    });
    const outcome = await Promise.race([ended, beaten]);
    assert.equal(outcome, 'running');
    assert.equal(m.checkIdle(), false, 'days later, still no traffic signal: no logout');
    assert.equal(m.checkIdle(), false);
    m.stop();
  });
});

describe('idle auto-logout on the proxy traffic (fake clock)', () => {
  const IDLE_S = 60;
  function idleMonitor() {
    const clock = { t: 1_000_000 };
    const ends: EndReason[] = [];
    const m = new SessionMonitor({
      backend: pinnedBackendClient({
        url: 'https://127.0.0.1:9',
        caPem: ts.ca,
        pins: ts.server.banner.backend_pins,
      }),
      accessToken: 'unused',
      sessionId: 's-unused',
      heartbeatS: 5,
      idleTimeoutS: IDLE_S,
      log: new DaemonLog({ sink: () => undefined }),
      onEnd: (reason) => ends.push(reason),
      now: () => clock.t,
    });
    const traffic = new SessionTraffic(() => clock.t);
    const connect = () => {
      const tls = fakeTlsHandle(clock.t - 500); // dialed just before the tunnel was up
      traffic.attach(tls);
      m.watchActivity(() => traffic.lastActivityMs());
      return tls;
    };
    return { clock, ends, m, connect };
  }

  it('no traffic for longer than idle_timeout_s after connecting logs out (reason idle), not a moment earlier', () => {
    const { clock, ends, m, connect } = idleMonitor();
    connect();
    clock.t += IDLE_S * 1000;
    assert.equal(m.checkIdle(), false, 'exactly the idle timeout is not yet idle');
    assert.deepEqual(ends, []);
    clock.t += 1;
    assert.equal(m.checkIdle(), true);
    assert.deepEqual(ends, ['idle']);
    assert.equal(m.checkIdle(), true, 'ends once');
    assert.deepEqual(ends, ['idle']);
  });

  it('traffic that keeps flowing keeps the session, however long; when it stops, the timeout counts from the last byte', () => {
    const { clock, ends, m, connect } = idleMonitor();
    const tls = connect();
    for (let i = 0; i < 10; i++) {
      clock.t += 50_000;
      tls.counters.lastActivityMs = clock.t - 10_000;
      tls.counters.bytesIn += 1500;
      assert.equal(m.checkIdle(), false, `check ${i}`);
    }
    const lastByte = tls.counters.lastActivityMs;
    clock.t = lastByte + IDLE_S * 1000;
    assert.equal(m.checkIdle(), false);
    clock.t += 1;
    assert.equal(m.checkIdle(), true);
    assert.deepEqual(ends, ['idle']);
  });

  it("a tunnel restart is not activity: the new proxy's handshake does not reset the idle time, its traffic does", () => {
    const { clock, ends, m, connect } = idleMonitor();
    const first = connect();
    clock.t += 10_000;
    first.counters.lastActivityMs = clock.t; // last user traffic
    const lastUserByte = clock.t;
    clock.t += 40_000;
    const second = connect(); // restarted: its own activity is the dial/handshake, before it was up
    assert.equal(second.counters.lastActivityMs < clock.t, true);
    clock.t = lastUserByte + IDLE_S * 1000 + 1;
    assert.equal(m.checkIdle(), true, 'idle counted from the first tunnel’s last byte');
    assert.deepEqual(ends, ['idle']);

    const again = idleMonitor();
    again.connect();
    again.clock.t += 50_000;
    const restarted = again.connect();
    again.clock.t += 1_000;
    restarted.counters.lastActivityMs = again.clock.t; // user traffic on the new tunnel
    again.clock.t += IDLE_S * 1000;
    assert.equal(again.m.checkIdle(), false);
    assert.deepEqual(again.ends, []);
  });
});
