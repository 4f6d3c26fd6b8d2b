// The connect sequence's failure paths against the real backend (fakes only for the TLS proxy and
// OpenVPN): a closed door is knocked again, a wrong gateway key is never retried, a component that
// dies ends the session, a disconnect cancels a connect in flight — and every one of them ends the
// backend session and leaves a clear state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';

const PASSWORD = 'gina correct horse battery 7';
let b: BackendSession;

before(async () => {
  b = await startBackendSession('gina', PASSWORD);
  await b.enrollWithToken(PASSWORD);
});
after(() => b?.stop());

const knocks = () =>
  b.d
    .logText()
    .split('\n')
    .filter((l) => l.includes('spa.sent ok')).length;

async function lastSessionEnd(): Promise<string | null> {
  const row = await ctxOf(b.ts).db.session.findFirstOrThrow({
    where: { userId: b.userId },
    orderBy: { createdAt: 'desc' },
  });
  return row.endedAt ? row.endReason : null;
}

describe('connect failure paths', () => {
  it('knocks again when the TLS proxy finds the door closed (3 tries with jitter)', async () => {
    const before = knocks();
    await b.login(PASSWORD);
    b.d.tls.failWith = ['VIW_E_TLS_FAILED', 'VIW_E_TLS_FAILED'];
    assert.equal((await b.d.client.connect()).state, 'connected');
    assert.equal(knocks() - before, 3);
    // The handshake is timed when OpenVPN has connected through the proxy (fake handle: 3.2 ms).
    assert.equal((await b.d.client.status()).timings.tls_handshake_ms, 3);
    await b.d.client.disconnect();
  });

  it('gives up after 3 closed doors with VIW_E_SPA_FAILED and ends the backend session', async () => {
    await b.login(PASSWORD);
    b.d.tls.failWith = ['VIW_E_TLS_FAILED', 'VIW_E_TLS_FAILED', 'VIW_E_TLS_FAILED'];
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_SPA_FAILED'));
    const s = await b.d.client.status();
    assert.equal(s.state, 'error');
    assert.equal(s.last_error?.code, 'VIW_E_SPA_FAILED');
    assert.equal(await lastSessionEnd(), 'logout');
  });

  it('never retries a gateway key that matches neither pin', async () => {
    const before = knocks();
    await b.login(PASSWORD);
    b.d.tls.failWith = ['VIW_E_PIN_MISMATCH'];
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
    assert.equal(knocks() - before, 1);
    assert.equal((await b.d.client.status()).last_error?.code, 'VIW_E_PIN_MISMATCH');
    assert.equal(await lastSessionEnd(), 'logout');
  });

  /** Waits (bounded) until the daemon's state is `state`. */
  async function until(state: string): Promise<void> {
    for (let i = 0; i < 200 && (await b.d.client.status()).state !== state; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await b.d.client.status()).state, state);
  }

  it('an OpenVPN that dies for a reason a retry cannot fix ends the session at once and stops the proxy', async () => {
    await b.login(PASSWORD);
    await b.d.client.connect();
    const starts = b.d.openvpn.starts.length;
    const ovpn = b.d.openvpn.handles.at(-1)!;
    const tls = b.d.tls.handles.at(-1)!;
    ovpn.crash({ code: 'VIW_E_OPENVPN_FAILED', detail: 'openvpn: auth_failed', retryable: false });
    await until('error');
    const s = await b.d.client.status();
    assert.equal(s.last_error?.code, 'VIW_E_OPENVPN_FAILED');
    assert.equal(tls.stopped, 1);
    assert.equal(b.d.openvpn.starts.length, starts, 'no restart for auth_failed');
    assert.equal(await lastSessionEnd(), 'logout');
  });

  it('an OpenVPN that dies while connected is restarted: fresh knock, fresh proxy, fresh OpenVPN, each step on the watch stream', async () => {
    await b.login(PASSWORD);
    await b.d.client.connect();
    const knocked = knocks();
    const first = { ovpn: b.d.openvpn.handles.at(-1)!, tls: b.d.tls.handles.at(-1)! };
    Object.assign(first.tls.counters, { bytesIn: 1000, bytesOut: 400, lastActivityMs: performance.now() });
    const before = (await b.d.client.status()).traffic;
    assert.deepEqual({ in: before?.bytes_in, out: before?.bytes_out }, { in: 1000, out: 400 });
    assert.ok(before && Date.parse(before.last_activity_at) > 0);
    const states: string[] = [];
    const unsubscribe = b.d.daemon.engine.status.subscribe((st) => {
      if (states.at(-1) !== st.state) states.push(st.state);
    });
    try {
      // The first retry fails before readiness (transient), the second one comes up.
      b.d.openvpn.failWith = [{ reason: 'connection_failed', retryable: true }];
      first.ovpn.crash({ code: 'VIW_E_OPENVPN_FAILED', detail: 'openvpn: connection_lost', retryable: true });
      for (let i = 0; i < 200 && b.d.openvpn.handles.at(-1) === first.ovpn; i++)
        await new Promise((r) => setTimeout(r, 20));
      await until('connected');
    } finally {
      unsubscribe();
    }
    assert.deepEqual(states, ['spa', 'tls', 'openvpn', 'spa', 'tls', 'openvpn', 'connected']);
    assert.equal(knocks() - knocked, 2, 'one fresh knock per attempt');
    assert.equal(first.tls.stopped, 1, 'the old proxy was stopped');
    assert.notEqual(b.d.tls.handles.at(-1), first.tls, 'a fresh proxy');
    const s = await b.d.client.status();
    assert.equal(s.last_error, null);
    assert.equal(s.session?.virtual_ip, '10.8.0.6');
    Object.assign(b.d.tls.handles.at(-1)!.counters, { bytesIn: 10, bytesOut: 20 });
    const after = (await b.d.client.status()).traffic;
    assert.deepEqual({ in: after?.bytes_in, out: after?.bytes_out }, { in: 1010, out: 420 }, 'carried over');
    const log = b.d.logText();
    assert.match(log, /openvpn\.restart ok attempt=1 of=3/);
    assert.match(log, /openvpn\.restart ok attempt=2 of=3/);
    assert.match(log, /session\.reconnected ok/);
    await b.d.client.disconnect();
    assert.equal((await b.d.client.status()).traffic, null);
  });

  it('gives up after 3 failed restarts: error VIW_E_OPENVPN_FAILED with a hint, backend session ended', async () => {
    await b.login(PASSWORD);
    await b.d.client.connect();
    const starts = b.d.openvpn.starts.length;
    b.d.openvpn.failWith = [0, 1, 2].map(() => ({ reason: 'connection_failed', retryable: true }));
    b.d.openvpn.handles
      .at(-1)!
      .crash({ code: 'VIW_E_OPENVPN_FAILED', detail: 'openvpn: exited', retryable: true });
    await until('error');
    const s = await b.d.client.status();
    assert.equal(s.last_error?.code, 'VIW_E_OPENVPN_FAILED');
    assert.ok((s.last_error?.hint ?? '').length > 0);
    assert.equal(b.d.openvpn.starts.length - starts, 3, 'exactly 3 restarts');
    assert.match(b.d.logText(), /openvpn\.restart ok attempt=3 of=3/);
    assert.equal(await lastSessionEnd(), 'logout');
  });

  it('a failure before readiness that cannot heal (config_rejected) is not retried', async () => {
    await b.login(PASSWORD);
    const starts = b.d.openvpn.starts.length;
    b.d.openvpn.failWith = [{ reason: 'config_rejected', retryable: false }];
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_OPENVPN_FAILED'));
    assert.equal(b.d.openvpn.starts.length - starts, 1);
    assert.equal(b.d.tls.handles.at(-1)?.stopped, 1, 'its proxy was stopped');
  });

  it('a disconnect during the TLS step cancels the connect and stops what started late', async () => {
    await b.login(PASSWORD);
    b.d.tls.delayMs = 400;
    const connecting = b.d.client.connect();
    for (let i = 0; i < 100 && (await b.d.client.status()).state !== 'tls'; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal((await b.d.client.disconnect()).state, 'enrolled');
    await assert.rejects(connecting, (e) => isViworksError(e, 'VIW_E_STATE'));
    b.d.tls.delayMs = 0;
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(b.d.tls.handles.at(-1)?.stopped, 1, 'the late proxy was stopped at once');
    const s = await b.d.client.status();
    assert.equal(s.state, 'enrolled');
    assert.equal(s.session, null);
    assert.equal(await lastSessionEnd(), 'logout');
    const sid = b.d.tls.starts.at(-1)?.sessionId;
    assert.ok(sid && fromWireId('s', sid));
  });
});
