// GET /v1/metrics end to end: a real viworksd against the real backend (fakes only for the TLS
// proxy and OpenVPN; a recording kill switch, the file DNS method and scripted routes, as in
// engine/network-protection.test.ts) connects, reconnects, finds a leak, fails and is cancelled;
// the typed LocalClient reads the exposition and Prometheus's promtool parses it. Values are
// asserted exactly — and the phase arithmetic once more on a StatusStore with a scripted clock.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONNECTION_STATES, type ConnectionState, METRICS_CONTENT_TYPE } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import {
  assertValidExposition,
  parseSamples,
  requirePromtool,
  type Sample,
  sampleValue,
} from '../../server/metrics/testing.js';
import { DnsStateStore } from '../datapath/dns/dns-state.js';
import { FileDns } from '../datapath/dns/file-dns.js';
import type { KillSwitchPlan } from '../datapath/killswitch/ruleset.js';
import type { KillSwitchDriver } from '../engine/network-guard.js';
import { StatusStore } from '../engine/status.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import { DaemonMetrics } from './metrics.js';

const PASSWORD = 'mira correct horse battery 8';
const VIRTUAL_IP = '10.8.0.6'; // the fake OpenVPN's

class RecordingSwitch implements KillSwitchDriver {
  table: KillSwitchPlan | null = null;
  async install(plan: KillSwitchPlan): Promise<void> {
    this.table = plan;
  }
  async remove(): Promise<void> {
    this.table = null;
  }
  async installed(): Promise<boolean> {
    return this.table !== null;
  }
}

let b: BackendSession;
/** The kernel's answer for each probe address; anything but the tunnel's address plays a leak. */
let routeOf: (ip: string) => string = () => VIRTUAL_IP;

async function until(state: ConnectionState): Promise<void> {
  for (let i = 0; i < 300 && (await b.d.client.status()).state !== state; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal((await b.d.client.status()).state, state);
}

async function scrape(): Promise<Sample[]> {
  const text = await b.d.client.metrics();
  assertValidExposition(text);
  return parseSamples(text);
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(samples, name, labels);

function assertOneHot(samples: Sample[], state: ConnectionState): void {
  for (const s of CONNECTION_STATES)
    assert.equal(value(samples, 'viworks_daemon_state', { state: s }), s === state ? 1 : 0, s);
}

before(async () => {
  b = await startBackendSession('mira', PASSWORD, {
    server: { dns: { servers: ['10.233.9.53'], searchDomains: ['corp.example'] } },
    network: (stateDir) => {
      const resolvConf = join(stateDir, '..', 'resolv.conf');
      writeFileSync(resolvConf, 'nameserver 192.168.77.1\n', { mode: 0o644 });
      return {
        killSwitch: new RecordingSwitch(),
        dns: new FileDns({ state: new DnsStateStore(stateDir), path: resolvConf }),
        tunnelInterface: 'viworks0',
        leakCheckIntervalS: 1,
        sourceAddress: async (ip) => routeOf(ip),
        captivePortal: null,
      };
    },
  });
  await b.enrollWithToken(PASSWORD);
});
after(() => b?.stop());

describe('GET /v1/metrics (real daemon, real backend, promtool)', () => {
  it('answers Prometheus text through the typed client: the state one-hot, nothing counted yet', async (t) => {
    if (!requirePromtool(t)) return;
    const samples = await scrape();
    assertOneHot(samples, 'enrolled');
    assert.equal(samples.find((s) => s.name === 'viworks_daemon_build_info')?.value, 1);
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'success' }), undefined);
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_count'), 0);
    assert.ok(samples.every((s) => s.name.startsWith('viworks_daemon_')));
  });

  it('a connect: success counted, each phase observed once, the whole connect timed', async (t) => {
    if (!requirePromtool(t)) return;
    await b.login(PASSWORD);
    b.d.tls.delayMs = 150; // the pinned handshake takes 150 ms
    try {
      assert.equal((await b.d.client.connect()).state, 'connected');
    } finally {
      b.d.tls.delayMs = 0;
    }
    const samples = await scrape();
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'success' }), 1);
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_count'), 1);
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_bucket', { le: '0.1' }), 0, 'over 150 ms');
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_bucket', { le: '+Inf' }), 1);
    const spa = value(samples, 'viworks_daemon_spa_to_tls_seconds_sum') ?? 0;
    assert.ok(spa >= 0.15 && spa < 5, String(spa));
    assert.equal(value(samples, 'viworks_daemon_tls_to_tunnel_seconds_count'), 1);
    assert.equal(value(samples, 'viworks_daemon_connect_seconds_count'), 1);
    const total = value(samples, 'viworks_daemon_connect_seconds_sum') ?? 0;
    assert.ok(total >= spa, `the whole connect (${total}) includes the knock → TLS phase (${spa})`);
    assert.ok((value(samples, 'viworks_daemon_leak_checks_total', { result: 'pass' }) ?? 0) >= 1);
    assertOneHot(samples, 'connected');
  });

  it('a dropped tunnel brought up again: a reconnect, not a connect; the phases observed again', async (t) => {
    if (!requirePromtool(t)) return;
    const first = b.d.openvpn.handles.at(-1)!;
    first.crash({ code: 'VIW_E_OPENVPN_FAILED', detail: 'openvpn: connection_lost', retryable: true });
    for (let i = 0; i < 200 && b.d.openvpn.handles.at(-1) === first; i++)
      await new Promise((r) => setTimeout(r, 20));
    await until('connected');
    const samples = await scrape();
    assert.equal(value(samples, 'viworks_daemon_reconnects_total', { result: 'success' }), 1);
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'success' }), 1);
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_count'), 2);
    assert.equal(value(samples, 'viworks_daemon_tls_to_tunnel_seconds_count'), 2);
    assert.equal(value(samples, 'viworks_daemon_connect_seconds_count'), 1);
  });

  it('a leak: the failed round counted, the state error; no connect or reconnect outcome added', async (t) => {
    if (!requirePromtool(t)) return;
    routeOf = (ip) => (ip === '1.1.1.1' ? '192.168.77.20' : VIRTUAL_IP);
    try {
      await until('error');
    } finally {
      routeOf = () => VIRTUAL_IP;
    }
    const samples = await scrape();
    assert.equal(value(samples, 'viworks_daemon_leak_checks_total', { result: 'leak' }), 1);
    assertOneHot(samples, 'error');
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'failure' }), undefined);
    assert.equal(value(samples, 'viworks_daemon_reconnects_total', { result: 'failure' }), undefined);
    await b.d.client.disconnect();
  });

  it('a connect that fails counts as failure; one cancelled by a disconnect as cancelled', async (t) => {
    if (!requirePromtool(t)) return;
    await b.login(PASSWORD);
    b.d.tls.failWith = ['VIW_E_PIN_MISMATCH'];
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));

    await b.login(PASSWORD);
    b.d.tls.delayMs = 400;
    const connecting = b.d.client.connect();
    try {
      await until('tls');
      await b.d.client.disconnect();
      await assert.rejects(connecting, (e) => isViworksError(e, 'VIW_E_STATE'));
    } finally {
      b.d.tls.delayMs = 0;
    }
    const samples = await scrape();
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'failure' }), 1);
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'cancelled' }), 1);
    assert.equal(value(samples, 'viworks_daemon_connects_total', { result: 'success' }), 1);
    assert.equal(value(samples, 'viworks_daemon_spa_to_tls_seconds_count'), 2, 'no tunnel came up');
    assertOneHot(samples, 'enrolled');
  });

  it('is the local API like every route: version headers, no caching, browsers refused', async () => {
    const raw = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
        const req = request({ socketPath: b.d.socketPath, path: '/v1/metrics', headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        req.on('error', reject);
        req.end();
      });
    const ok = await raw({});
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], METRICS_CONTENT_TYPE);
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.ok(ok.headers['viworks-daemon-version']);
    const browser = await raw({ origin: 'https://evil.example' });
    assert.equal(browser.status, 403);
    assert.equal(JSON.parse(browser.text).code, 'VIW_E_ORIGIN_REFUSED');
  });
});

describe('DaemonMetrics on a StatusStore with a scripted clock', () => {
  it('times knock → TLS, TLS → tunnel (engine timing) and the whole connect exactly', async () => {
    const store = new StatusStore('9.9.9');
    let now = 0;
    let establishedAt: number | null = null;
    const m = new DaemonMetrics(
      { status: store, activeSession: () => ({ tls: { establishedAt } }) },
      '9.9.9',
      () => now,
    );
    const step = (state: ConnectionState, at: number, timings = {}) => {
      now = at;
      store.update({ state, timings });
    };
    step('enrolled', 0);
    step('bootstrapping', 1000);
    step('preflight', 1200);
    step('spa', 1300);
    step('tls', 1310); // the knock went out
    step('spa', 1500); // the door was closed: knocked again
    step('tls', 1600);
    step('openvpn', 1700);
    establishedAt = 1950; // the proxy dialled when OpenVPN connected
    now = 2600;
    store.update({ timings: { openvpn_ms: 800 } }); // OpenVPN up at 1700 + 800
    step('connected', 2700);
    // A leak check round, published twice (a later unrelated update keeps the same round).
    const round = { interval_s: 1, checks: 1, last_at: '2026-12-04T10:00:00.000Z', leak: null };
    store.update({ network: { ...store.get().network, leak_check: round } });
    store.update({ otp_expires_at: null });
    const samples = parseSamples(await m.render());
    assert.equal(sampleValue(samples, 'viworks_daemon_spa_to_tls_seconds_sum'), 0.35, '1950 − 1600');
    assert.equal(sampleValue(samples, 'viworks_daemon_tls_to_tunnel_seconds_sum'), 0.55, '2500 − 1950');
    assert.equal(sampleValue(samples, 'viworks_daemon_connect_seconds_sum'), 1.7, '2700 − 1000');
    assert.equal(sampleValue(samples, 'viworks_daemon_spa_to_tls_seconds_bucket', { le: '0.3' }), 0);
    assert.equal(sampleValue(samples, 'viworks_daemon_spa_to_tls_seconds_bucket', { le: '0.4' }), 1);
    assert.equal(sampleValue(samples, 'viworks_daemon_leak_checks_total', { result: 'pass' }), 1);
    assert.equal(sampleValue(samples, 'viworks_daemon_connects_total', { result: 'success' }), 1);

    // The tunnel drops and comes back; the proxy handshook during start() this time.
    step('spa', 5000);
    step('tls', 5010);
    establishedAt = 5100;
    step('openvpn', 5120);
    now = 5400;
    store.update({ timings: { openvpn_ms: 280 } });
    step('connected', 5450);
    // The next drop is given up: a failed reconnect. Then a connect is cancelled.
    step('spa', 6000);
    step('disconnecting', 6100);
    step('error', 6200);
    step('enrolled', 6300);
    step('bootstrapping', 7000);
    step('disconnecting', 7100);
    step('enrolled', 7200);
    const after = parseSamples(await m.render());
    assert.equal(sampleValue(after, 'viworks_daemon_spa_to_tls_seconds_count'), 2);
    assert.ok(Math.abs((sampleValue(after, 'viworks_daemon_spa_to_tls_seconds_sum') ?? 0) - 0.44) < 1e-9);
    assert.ok(Math.abs((sampleValue(after, 'viworks_daemon_tls_to_tunnel_seconds_sum') ?? 0) - 0.85) < 1e-9);
    assert.equal(sampleValue(after, 'viworks_daemon_reconnects_total', { result: 'success' }), 1);
    assert.equal(sampleValue(after, 'viworks_daemon_reconnects_total', { result: 'failure' }), 1);
    assert.equal(sampleValue(after, 'viworks_daemon_connects_total', { result: 'cancelled' }), 1);
    assert.equal(sampleValue(after, 'viworks_daemon_connects_total', { result: 'success' }), 1);
    assert.equal(sampleValue(after, 'viworks_daemon_connect_seconds_count'), 1);
    assert.equal(sampleValue(after, 'viworks_daemon_state', { state: 'enrolled' }), 1);

    // Stopped: later changes are not seen.
    m.stop();
    step('bootstrapping', 8000);
    step('disconnecting', 8100);
    step('error', 8200);
    const stopped = parseSamples(await m.render());
    assert.equal(sampleValue(stopped, 'viworks_daemon_connects_total', { result: 'failure' }), undefined);
  });

  it('counts every observation made before the first scrape, past the pending queue too', async () => {
    const store = new StatusStore('9.9.9');
    const m = new DaemonMetrics({ status: store, activeSession: () => null }, '9.9.9', () => 0);
    // 300 leak check rounds (more than the queue holds before it loads the instruments), unscraped.
    for (let n = 1; n <= 300; n++) {
      const round = { interval_s: 1, checks: n, last_at: '2026-12-04T10:00:00.000Z', leak: null };
      store.update({ network: { ...store.get().network, leak_check: round } });
    }
    const samples = parseSamples(await m.render());
    assert.equal(sampleValue(samples, 'viworks_daemon_leak_checks_total', { result: 'pass' }), 300);
    assert.equal(m.contentType.split(';')[0], METRICS_CONTENT_TYPE.split(';')[0]);
    m.stop();
  });
});
