import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const JA3 = 'e7d705a3286e19ea42f587b344ee6865';
const JA4_13 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
const JA4_12 = 't12d1209h2_d34a8e72043a_b39be8c56a14';

const unknown = (src: string, ja4 = JA4_13, result: 'success' | 'failure' = 'success'): AuditFacts => ({
  component: 'backend',
  action: 'tls.fingerprint_unknown',
  result,
  src_ip: src,
  src_port: 50000,
  tls_ja3: JA3,
  tls_ja4: ja4,
});
const backendFailure = (src: string, ja4: string | null): AuditFacts => ({
  component: 'backend',
  action: 'tls.handshake',
  result: 'failure',
  src_ip: src,
  tls_ja3: JA3,
  tls_ja4: ja4,
  error_msg: 'handshake failed',
});
const gatewayFailure = (src: string, reason: string): AuditFacts => ({
  component: 'gateway',
  action: 'tls.handshake',
  result: 'failure',
  src_ip: src,
  gateway: 'gw-a',
  error_msg: reason,
});

describe('rule tls_fingerprint_unknown', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('an unknown fingerprint alerts once per fingerprint and source per 10 min', async () => {
    h = harness();
    await h.emit(
      unknown('198.51.100.1'),
      unknown('198.51.100.1', JA4_13, 'failure'),
      unknown('198.51.100.2'),
    );
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.key, a.fields.reason, a.severity]),
      [
        [`${JA4_13}|198.51.100.1|-`, 'unknown', 'warning'],
        [`${JA4_13}|198.51.100.2|-`, 'unknown', 'warning'],
      ],
    );
    assert.equal(h.sink.alerts[0]?.context?.tls_ja3, JA3);
    h.clock.advance(600_000);
    await h.emit(unknown('198.51.100.1'));
    assert.equal(h.sink.alerts.length, 3, 'again after the window');
  });

  it('a backend handshake failure with a JA4 below TLS 1.3 is a downgrade (error)', async () => {
    h = harness();
    await h.emit(backendFailure('198.51.100.3', JA4_12));
    const [a] = h.sink.alerts;
    assert.equal(a?.fields.reason, 'downgrade');
    assert.equal(a?.severity, 'error');
    assert.match(a?.summary ?? '', /downgrade attempt from 198\.51\.100\.3 at the backend \(JA4 t12d/);
  });

  it('near miss: a TLS 1.3 failure (no shared cipher), a failure without JA4, an allowed success', async () => {
    h = harness();
    await h.emit(backendFailure('198.51.100.4', JA4_13), backendFailure('198.51.100.5', null), {
      component: 'backend',
      action: 'tls.handshake',
      result: 'success',
      src_ip: '198.51.100.6',
      tls_ja4: JA4_12,
    });
    assert.equal(h.sink.alerts.length, 0);
  });

  it('a gateway handshake refused for its protocol version is a downgrade; other failures are not', async () => {
    h = harness();
    await h.emit(
      gatewayFailure('198.51.100.7', 'SSL_accept: error:0A000102:SSL routines::unsupported protocol'),
      gatewayFailure('198.51.100.8', 'SSL_accept: error:0A00009C:SSL routines::http request'),
      gatewayFailure('198.51.100.9', 'Connection reset by peer'),
    );
    assert.deepEqual(
      h.sink.alerts.map((a) => a.key),
      ['-|198.51.100.7|gw-a'],
    );
    assert.match(h.sink.alerts[0]?.summary ?? '', /at gateway gw-a/);
  });

  it('a TLS 1.2-only hello is one alert, the downgrade; an unknown TLS 1.3 client besides it is a second', async () => {
    h = harness();
    // The listener records both for the one connection: unknown fingerprint, failed handshake.
    await h.emit(unknown('198.51.100.1', JA4_12, 'failure'), backendFailure('198.51.100.1', JA4_12));
    assert.deepEqual(
      h.sink.alerts.map((a) => a.fields.reason),
      ['downgrade'],
    );
    await h.emit(unknown('198.51.100.1', JA4_13));
    assert.deepEqual(
      h.sink.alerts.map((a) => a.fields.reason),
      ['downgrade', 'unknown'],
    );
  });
});

describe('rule tls_fingerprint_unknown at a gateway front door', () => {
  let h: Harness;
  afterEach(async () => h.stop());
  const PROXY_JA4 = 't13d031000_dd90744a70f1_78f1d400d464';
  const atGateway = (over: Partial<AuditFacts> & Pick<AuditFacts, 'action' | 'result'>): AuditFacts => ({
    component: 'gateway',
    gateway: 'gw-a',
    src_ip: '198.51.100.30',
    src_port: 50000,
    tls_ja3: JA3,
    ...over,
  });

  it('an unknown TLS 1.3 client at a gateway alerts (warning), naming the gateway', async () => {
    h = harness();
    await h.emit(atGateway({ action: 'tls.fingerprint_unknown', result: 'failure', tls_ja4: JA4_13 }));
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.key, a.fields.reason, a.severity]),
      [[`${JA4_13}|198.51.100.30|gw-a`, 'unknown', 'warning']],
    );
    assert.match(h.sink.alerts[0]?.summary ?? '', /Unknown TLS client from 198\.51\.100\.30 at gateway gw-a/);
  });

  it('a TLS 1.2 client at a gateway is one alert, the downgrade, keyed by its JA4', async () => {
    h = harness();
    // The ingest records both for the one connection: the failed handshake and the unknown fingerprint.
    await h.emit(
      atGateway({
        action: 'tls.handshake',
        result: 'failure',
        tls_ja4: JA4_12,
        error_msg: 'TLS handshake failed: unsupported protocol',
      }),
      atGateway({ action: 'tls.fingerprint_unknown', result: 'failure', tls_ja4: JA4_12 }),
    );
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.fields.reason, a.severity, a.key]),
      [['downgrade', 'error', `${JA4_12}|198.51.100.30|gw-a`]],
    );
  });

  it('near miss: the proxy’s handshakes (allowlisted: no unknown event), a TLS 1.3 failure, no JA4', async () => {
    h = harness();
    await h.emit(
      atGateway({ action: 'tls.handshake', result: 'success', tls_ja4: PROXY_JA4 }),
      atGateway({
        action: 'tls.handshake',
        result: 'failure',
        tls_ja4: PROXY_JA4,
        error_msg: 'certificate revoked',
      }),
      atGateway({
        action: 'tls.handshake',
        result: 'failure',
        tls_ja3: null,
        error_msg: 'peer did not return a certificate',
      }),
    );
    assert.equal(h.sink.alerts.length, 0);
  });
});
