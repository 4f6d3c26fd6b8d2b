import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAuditEvent } from '../../../core/audit/event.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import type { HandshakeOutcome, HelloObservation } from '../../http/client-hello-gate.js';
import { MemoryKv } from '../../kv/memory-kv.js';
import type { ServiceAuditFacts } from '../audit/service.js';
import { FingerprintAllowlist, readAllowlistFile } from './allowlist.js';
import { HandshakeEvents } from './handshake-events.js';

const KNOWN = { ja3: 'f146948b4a599d4d7ddf071b74696983', ja4: 't13d041000_16476d049b0b_78f1d400d464' };
const STRANGER = { ja3: '579ccef312d18482fc42e2b822ca2430', ja4: 't13d1715h2_5b57614c22b0_3d5424432f57' };
/** Listed by its JA3 alone. */
const BY_JA3 = 'c1e58b5fa361cf5bfc0635a61bd8573c';
const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };

const hello = (
  f: { ja3: string; ja4: string } | null,
  over: Partial<HelloObservation> = {},
): HelloObservation => ({
  srcIp: '192.0.2.10',
  srcPort: 40000,
  fingerprints: f ? { ...f, ja3Text: '771,,,,', ja4Raw: 'unused' } : null,
  problem: null,
  bytes: 517,
  ...over,
});
const done: HandshakeOutcome = { completed: true, protocol: 'TLSv1.3', durationMs: 3 };
const failed = (reason: string): HandshakeOutcome => ({ completed: false, reason, durationMs: 5 });

function recorder(
  opts: { windowMs?: number; failWith?: Error; maxPerSource?: number; maxPerWindow?: number } = {},
) {
  const recorded: ServiceAuditFacts[] = [];
  const errors: string[] = [];
  const events = new HandshakeEvents({
    allowlist: new FingerprintAllowlist([KNOWN.ja4, BY_JA3]),
    kv: new MemoryKv(),
    record: async (facts) => {
      if (opts.failWith) throw opts.failWith;
      // Every event must be one the audit schema accepts.
      buildAuditEvent(CTX, { ...facts, user_id: null });
      recorded.push(facts);
    },
    log: { error: (_obj, msg) => errors.push(msg) },
    ...(opts.windowMs ? { windowMs: opts.windowMs } : {}),
    ...(opts.maxPerSource ? { maxPerSource: opts.maxPerSource } : {}),
    ...(opts.maxPerWindow ? { maxPerWindow: opts.maxPerWindow } : {}),
  });
  const see = async (h: HelloObservation, o: HandshakeOutcome) => {
    events.observe(h, o);
    await events.drain();
  };
  const actions = () => recorded.map((f) => `${f.action}:${f.result}`);
  return { events, recorded, errors, see, actions };
}

describe('TLS handshake events', () => {
  it('a known client that completes: nothing; one that fails: tls.handshake only', async () => {
    const r = recorder();
    await r.see(hello(KNOWN), done);
    assert.deepEqual(r.actions(), []);
    await r.see(hello({ ja3: BY_JA3, ja4: 't13i040900_000000000000_000000000000' }), done);
    assert.deepEqual(r.actions(), [], 'a listed JA3 is enough');
    await r.see(hello(KNOWN), failed('ECONNRESET'));
    assert.deepEqual(r.actions(), ['tls.handshake:failure']);
    assert.equal(r.recorded[0]!.error_msg, 'connection reset during the handshake [ECONNRESET]');
    assert.deepEqual([r.recorded[0]!.tls_ja3, r.recorded[0]!.tls_ja4], [KNOWN.ja3, KNOWN.ja4]);
  });

  it('an unknown client: once per fingerprint and source per window, success when it completed', async () => {
    const r = recorder();
    for (let i = 0; i < 4; i++) await r.see(hello(STRANGER, { srcPort: 40000 + i }), done);
    assert.deepEqual(r.actions(), ['tls.fingerprint_unknown:success']);
    const e = r.recorded[0]!;
    assert.deepEqual(
      [e.component, e.src_ip, e.src_port, e.tls_ja3, e.tls_ja4, e.proto, e.severity, e.error_msg],
      [
        'backend',
        '192.0.2.10',
        40000,
        STRANGER.ja3,
        STRANGER.ja4,
        'TLSv1.3',
        'notice',
        'not in the allowlist',
      ],
    );
    await r.see(hello(STRANGER, { srcIp: '192.0.2.11' }), done);
    await r.see(hello({ ...STRANGER, ja4: 't13d1715h2_5b57614c22b0_000000000000' }), done);
    assert.equal(r.actions().length, 3, 'another source, another fingerprint: each once');
  });

  it('an unknown client that fails: tls.fingerprint_unknown (failure) and tls.handshake, each once', async () => {
    const r = recorder();
    await r.see(hello(STRANGER), failed('ERR_SSL_UNSUPPORTED_PROTOCOL'));
    await r.see(hello(STRANGER), failed('ERR_SSL_UNSUPPORTED_PROTOCOL'));
    assert.deepEqual(r.actions(), ['tls.fingerprint_unknown:failure', 'tls.handshake:failure']);
    assert.equal(r.recorded[0]!.error_msg, 'not in the allowlist; handshake failed');
    assert.equal(r.recorded[0]!.proto, null);
    assert.equal(
      r.recorded[1]!.error_msg,
      'protocol version refused (TLS 1.3 only) [ERR_SSL_UNSUPPORTED_PROTOCOL]',
    );
  });

  it('bytes that were not a ClientHello: tls.handshake with the reason, no fingerprints', async () => {
    const r = recorder();
    await r.see(hello(null, { problem: 'not a TLS handshake' }), failed('ERR_SSL_HTTP_REQUEST'));
    assert.deepEqual(r.actions(), ['tls.fingerprint_unknown:failure', 'tls.handshake:failure']);
    assert.equal(r.recorded[0]!.error_msg, 'ClientHello not read: not a TLS handshake; handshake failed');
    assert.deepEqual([r.recorded[1]!.tls_ja3, r.recorded[1]!.tls_ja4], [null, null]);
    assert.equal(r.recorded[1]!.error_msg, 'ERR_SSL_HTTP_REQUEST');
    const slow = recorder();
    await slow.see(hello(null, { bytes: 1 }), failed('no ClientHello in time'));
    assert.deepEqual(slow.actions(), ['tls.fingerprint_unknown:failure', 'tls.handshake:failure']);
    assert.equal(slow.recorded[1]!.error_msg, 'no ClientHello in time');
  });

  it('a connection that sent nothing is not an event (TCP probes, health checks)', async () => {
    const r = recorder();
    await r.see(hello(null, { bytes: 0 }), failed('closed before the ClientHello'));
    assert.deepEqual(r.actions(), []);
  });

  it('addresses: IPv4-mapped written as IPv4; anything the schema refuses becomes null', async () => {
    const r = recorder();
    await r.see(hello(STRANGER, { srcIp: '::ffff:198.51.100.7' }), done);
    await r.see(hello(STRANGER, { srcIp: 'fe80::1%eth0' }), done);
    assert.deepEqual(
      r.recorded.map((f) => f.src_ip),
      ['198.51.100.7', null],
    );
  });

  it('a JA4 the audit schema does not admit is left out, the event still recorded', async () => {
    const r = recorder();
    await r.see(hello({ ja3: STRANGER.ja3, ja4: 'td1d1715h2_5b57614c22b0_3d5424432f57' }), done);
    assert.deepEqual([r.recorded[0]!.tls_ja3, r.recorded[0]!.tls_ja4], [STRANGER.ja3, null]);
  });

  it('a new fingerprint per connection is bounded per source and in all', async () => {
    const r = recorder({ maxPerSource: 3, maxPerWindow: 5 });
    const made = (i: number) => ({
      ja3: STRANGER.ja3,
      ja4: `t13d1715h2_${i.toString(16).padStart(12, '0')}_3d5424432f57`,
    });
    for (let i = 0; i < 10; i++) await r.see(hello(made(i)), done);
    assert.equal(r.actions().length, 3, 'three for the first source');
    for (let i = 10; i < 20; i++) await r.see(hello(made(i), { srcIp: '192.0.2.99' }), done);
    assert.equal(r.actions().length, 5, 'two more in all');
    await r.see(hello(STRANGER, { srcIp: '192.0.2.100' }), failed('ECONNRESET'));
    assert.equal(r.actions().length, 5, 'a failure too is held back at the ceiling');
  });

  it('the window ends: the same client is recorded again', async () => {
    const r = recorder({ windowMs: 40 });
    await r.see(hello(STRANGER), done);
    await r.see(hello(STRANGER), done);
    await new Promise((res) => setTimeout(res, 60));
    await r.see(hello(STRANGER), done);
    assert.equal(r.actions().length, 2);
  });

  it('a failing audit store is logged, never thrown into the connection', async () => {
    const r = recorder({ failWith: new Error('database closed') });
    r.events.observe(hello(STRANGER), done);
    await r.events.drain();
    assert.deepEqual(r.errors, ['could not record a TLS handshake event']);
  });
});

describe('TLS fingerprint allowlist', () => {
  it('reads a file of JA4 and JA3 lines with comments; matches on either', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-tlsallow-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'allow.txt');
    writeFileSync(file, `# browsers\n\n${STRANGER.ja4}  # Firefox 120\r\n  ${KNOWN.ja3}\n`);
    const entries = readAllowlistFile(file);
    assert.deepEqual(entries, [STRANGER.ja4, KNOWN.ja3]);
    const list = new FingerprintAllowlist(entries);
    assert.equal(list.allows(STRANGER), true);
    assert.equal(list.allows({ ja3: KNOWN.ja3, ja4: 'x' }), true);
    assert.equal(list.allows({ ja3: STRANGER.ja3, ja4: KNOWN.ja4 }), false);
  });

  it('a bad line or a missing file stops the start, naming the line, not echoing it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-tlsallow-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'allow.txt');
    writeFileSync(file, `${STRANGER.ja4}\nsecret-looking-garbage\n`);
    assert.throws(
      () => readAllowlistFile(file),
      (e) =>
        isViworksError(e, 'VIW_E_CONFIG') &&
        e.details[0] === 'tls.fingerprintAllowlistFile: line 2 is not a JA4 or JA3 fingerprint',
    );
    assert.throws(
      () => readAllowlistFile(join(dir, 'missing.txt')),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});
