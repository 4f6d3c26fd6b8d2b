// A tracer seen mid-session, against the real backend (fakes only for the TLS proxy and OpenVPN):
// Engine.tracerAttached (what viworksd calls before it exits 70) ends the session with a generic
// error and reports client.debugger_attached, signed by the device, with the session; and the
// posture each login carries lands in the backend's auth.login audit event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../core/audit/event.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';

const PASSWORD = 'ivo correct horse battery 7';
let b: BackendSession;

const audit = async (action: string): Promise<AuditEvent[]> =>
  (await ctxOf(b.ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
    .map((e) => JSON.parse(e.event) as AuditEvent)
    .filter((e) => e.action === action);

before(async () => {
  b = await startBackendSession('ivo', PASSWORD);
  await b.enrollWithToken(PASSWORD);
});
after(async () => b?.stop());

describe('a tracer on viworksd', () => {
  it('each login declares the posture; the backend audits it with the login', async () => {
    await b.login(PASSWORD);
    const [login] = (await audit('auth.login')).slice(-1);
    // The fixture's daemon hardened nothing (that is viworksd's start): the posture says so.
    assert.equal(
      login?.error_msg,
      'otp sent to bound phone; posture dumpable=1 core_limit_zero=0 mlock=unavailable no_new_privs=0 tracer=0',
    );
  });

  it('mid-session: the session ends with a generic error, the backend hears of it', async () => {
    assert.equal((await b.d.client.connect()).state, 'connected');
    const wire = (await b.d.client.status()).session?.session_id;
    assert.ok(wire);
    const before = (await audit('client.debugger_attached')).length;

    await b.d.daemon.engine.tracerAttached('tracer gdb');

    const s = await b.d.client.status();
    assert.equal(s.state, 'error');
    assert.equal(s.session, null);
    assert.equal(s.last_error?.code, 'VIW_E_INTERNAL');
    assert.equal(s.last_error?.message, 'Internal error', 'nothing about the tracer');
    assert.equal(s.posture.tracer, true);
    assert.ok((b.d.openvpn.handles.at(-1)?.stopped ?? 0) >= 1, 'the tunnel is down');
    assert.match(b.d.logText(), /session\.end ok reason=tracer code=VIW_E_INTERNAL/);
    assert.match(b.d.logText(), /tracer\.reported ok/);

    const events = await audit('client.debugger_attached');
    assert.equal(events.length, before + 1);
    const e = events.at(-1)!;
    assert.equal(e.severity, 'error');
    assert.equal(e.result, 'failure');
    assert.equal(e.component, 'client');
    assert.equal(e.session_id, fromWireId('s', wire));
    assert.equal(e.error_msg, 'tracer_attached: tracer gdb');
    const record = b.d.daemon.engine.currentRecord();
    assert.equal(e.device_id, record?.device_id);
    const ended = await ctxOf(b.ts).db.session.findUniqueOrThrow({ where: { id: fromWireId('s', wire)! } });
    assert.ok(ended.endedAt, 'the backend ended the session (the daemon said so on its way out)');
  });

  it('between sessions: reported without a session', async () => {
    await b.d.daemon.engine.tracerAttached('tracer');
    const e = (await audit('client.debugger_attached')).at(-1)!;
    assert.equal(e.session_id, null);
    assert.equal(e.error_msg, 'tracer_attached: tracer');
  });
});
