// The connect sequence's reports against the real backend (fakes only for the TLS proxy and
// OpenVPN): a connect sends client.spa_sent, client.tls_latency and client.tunnel_latency (again
// after a tunnel restart) with plausible numbers, and the hardening findings once per session; a
// gateway key matching neither pin is reported with the presented pin; a backend that refuses the
// reports does not fail the connect, and what it refused arrives once it takes them again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../core/audit/event.js';
import { fromWireId, toWireId } from '../../core/bootstrap/wire-ids.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { RATE_RULES } from '../../server/services/rate-limit.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import { FAKE_PRESENTED_PIN } from '../testing/fakes.js';
import { hardeningFindings } from './client-reports.js';

const PASSWORD = 'hana correct horse battery 7';
let b: BackendSession;

before(async () => {
  b = await startBackendSession('hana', PASSWORD);
  await b.enrollWithToken(PASSWORD);
});
after(() => b?.stop());

const engine = () => b.d.daemon.engine;
const deviceId = () => engine().currentRecord()!.device_id;
const clientEvents = async (sessionId?: string | null): Promise<AuditEvent[]> =>
  (await ctxOf(b.ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
    .map((e) => JSON.parse(e.event) as AuditEvent)
    .filter((e) => e.component === 'client' && (sessionId === undefined || e.session_id === sessionId));
const of = (events: AuditEvent[], action: string) => events.filter((e) => e.action === action);
/** Each test has the device's report allowance (30 a minute) to itself. */
const freshAllowance = () => ctxOf(b.ts).kv.del(`rl:${RATE_RULES.deviceEventsPerDevice.name}:${deviceId()}`);

async function connected(): Promise<string> {
  await b.login(PASSWORD);
  assert.equal((await b.d.client.connect()).state, 'connected');
  const wire = (await b.d.client.status()).session?.session_id;
  assert.ok(wire);
  return fromWireId('s', wire)!;
}

async function until(state: string): Promise<void> {
  for (let i = 0; i < 200 && (await b.d.client.status()).state !== state; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal((await b.d.client.status()).state, state);
}

describe('hardening findings', () => {
  it('none for a hardened Linux viworksd, each gap named otherwise', () => {
    const hardened = {
      dumpable: false,
      core_limit_zero: true,
      mlock: 'secrets',
      no_new_privs: true,
      tracer: false,
    } as const;
    assert.deepEqual(hardeningFindings(hardened), []);
    assert.deepEqual(hardeningFindings({ ...hardened, mlock: 'locked' }), []);
    assert.deepEqual(hardeningFindings({ ...hardened, mlock: 'failed' }), ['memory_not_locked']);
    assert.deepEqual(hardeningFindings({ ...hardened, core_limit_zero: false }), ['core_limit_nonzero']);
    assert.deepEqual(hardeningFindings({ ...hardened, tracer: true }), [], 'a tracer is debugger_attached');
  });
});

describe('client reports of a connect', () => {
  it('a knock, both latencies and the hardening findings, with plausible values', async () => {
    await freshAllowance();
    const started = performance.now();
    const session = await connected();
    const took = performance.now() - started;
    await engine().clientEvents.flush();
    const events = await clientEvents(session);

    const [knock, ...moreKnocks] = of(events, 'client.spa_sent');
    assert.ok(knock);
    assert.equal(moreKnocks.length, 0, 'one knock: the door was open');
    const row = await ctxOf(b.ts).db.session.findUniqueOrThrow({
      where: { id: session },
      include: { gateway: true },
    });
    assert.equal(knock.result, 'success');
    assert.equal(knock.dst_ip, '127.0.0.1', 'the resolved gateway address');
    assert.equal(knock.dst_port, ctxOf(b.ts).gateway.spaPort, 'its SPA port');
    assert.equal(knock.fwknop_id, toWireId('d', deviceId()));
    assert.equal(knock.gateway, row.gateway.name);
    assert.equal(knock.device_id, deviceId());

    const [tls] = of(events, 'client.tls_latency');
    const [tunnel] = of(events, 'client.tunnel_latency');
    assert.ok(tls && tunnel);
    for (const e of [tls, tunnel]) {
      assert.equal(e.severity, 'info');
      assert.ok(
        e.duration_ms !== null && e.duration_ms >= 0 && e.duration_ms <= took,
        `${e.action} ${e.duration_ms}`,
      );
    }
    assert.ok(tls.duration_ms! + tunnel.duration_ms! <= took, 'both within the connect');

    // The fixture's daemon hardened nothing (viworksd's start does): four findings, once.
    assert.deepEqual(
      of(events, 'client.hardening_finding')
        .map((e) => e.error_msg)
        .sort(),
      ['core_limit_nonzero', 'dumpable', 'memory_not_locked', 'no_new_privs_unset'],
    );
    await b.d.client.disconnect();
  });

  it('after a tunnel restart: a fresh knock and a fresh pair of latencies, no new findings', async () => {
    await freshAllowance();
    const session = await connected();
    const first = b.d.openvpn.handles.at(-1)!;
    first.crash({ code: 'VIW_E_OPENVPN_FAILED', detail: 'openvpn: connection_lost', retryable: true });
    for (let i = 0; i < 200 && b.d.openvpn.handles.at(-1) === first; i++)
      await new Promise((r) => setTimeout(r, 20));
    await until('connected');
    await engine().clientEvents.flush();
    const events = await clientEvents(session);
    assert.equal(of(events, 'client.spa_sent').length, 2);
    assert.equal(of(events, 'client.tls_latency').length, 2);
    assert.equal(of(events, 'client.tunnel_latency').length, 2);
    assert.equal(of(events, 'client.hardening_finding').length, 4, 'once per session');
    await b.d.client.disconnect();
  });

  it('a gateway key that matches neither pin: reported with the presented pin and address', async () => {
    await freshAllowance();
    await b.login(PASSWORD);
    b.d.tls.failWith = ['VIW_E_PIN_MISMATCH'];
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
    await engine().clientEvents.flush();
    const m = of(await clientEvents(), 'client.pin_mismatch').at(-1);
    assert.ok(m);
    assert.deepEqual(
      [m.result, m.severity, m.dst_ip, m.error_msg],
      ['failure', 'error', '127.0.0.1', `gateway: presented spki sha256 ${FAKE_PRESENTED_PIN}`],
    );
    assert.ok(m.session_id, 'the session it happened in');
  });

  it('a backend key that matches neither pin: reported once it answers with the pinned key again', async () => {
    await freshAllowance();
    const record = engine().currentRecord()!;
    const randomPin = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
    // As if the backend were two pin rolls ahead of this desktop (or someone in the middle).
    await engine().saveRecord({
      ...record,
      backend_pins: { primary_b64: randomPin(), backup_b64: randomPin() },
    });
    await assert.rejects(b.d.client.login({ password: PASSWORD }), (e) =>
      isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
    await assert.rejects(b.d.client.login({ password: PASSWORD }), (e) =>
      isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
    await engine().clientEvents.flush();
    assert.equal(engine().clientEvents.pending, 1, 'one report per presented key, waiting');
    await engine().saveRecord(record);
    await engine().clientEvents.flush();
    const m = of(await clientEvents(), 'client.pin_mismatch').at(-1);
    assert.ok(m);
    assert.equal(
      m.error_msg,
      `backend: presented spki sha256 ${b.ts.server.banner.backend_pins.primary_b64}`,
    );
    assert.deepEqual([m.session_id, m.dst_ip], [null, null]);
  });

  it('a backend that refuses the reports does not fail the connect; they arrive later', async () => {
    await freshAllowance();
    // The device's allowance used up: every report is refused (429) until the window resets.
    for (let i = 0; i < RATE_RULES.deviceEventsPerDevice.limit; i++) {
      await ctxOf(b.ts).rate.hit(RATE_RULES.deviceEventsPerDevice, deviceId());
    }
    const session = await connected();
    await engine().clientEvents.flush();
    assert.equal((await clientEvents(session)).length, 0, 'nothing recorded yet');
    assert.ok(engine().clientEvents.pending >= 7, 'kept: a knock, two latencies, four findings');
    assert.equal((await b.d.client.status()).state, 'connected');
    assert.match(b.d.logText(), /client events: \d+ report\(s\) kept; next try/);

    await freshAllowance();
    await engine().clientEvents.flush();
    assert.equal(engine().clientEvents.pending, 0);
    const events = await clientEvents(session);
    assert.equal(of(events, 'client.spa_sent').length, 1);
    assert.equal(of(events, 'client.tls_latency').length, 1);
    assert.equal(of(events, 'client.tunnel_latency').length, 1);
    assert.equal(engine().clientEvents.dropped, 0, 'nothing lost');
    await b.d.client.disconnect();
  });
});
