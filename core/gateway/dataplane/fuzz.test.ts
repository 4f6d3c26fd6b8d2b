// Hostile input for the three parsers: overlong lines, control characters, invalid UTF-8, injected
// JSON, forged messages inside the parts a remote peer controls (a certificate subject, an SPA
// username, OpenVPN peer info, the CN in the disconnect hook line), and a few thousand seeded random
// mutations of the real fixtures. The parsers never throw, every fact passes the fact schema and
// becomes a valid audit event, and no value planted in a peer-controlled part ever reaches a field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildAuditEvent } from '../../audit/event.js';
import {
  createParser,
  DATAPLANE_SOURCES,
  type DataplaneFact,
  type DataplaneSource,
  dataplaneFact,
} from './index.js';
import { DISCONNECT_HOOK_TAG } from './openvpn.js';

const FIXTURES: Record<DataplaneSource, string[]> = {
  fwknopd: ['fwknopd-lab.log', 'fwknopd-netns.log'],
  stunnel: ['stunnel-lab.log'],
  openvpn: ['openvpn-lab.log'],
};
const linesOf = (source: DataplaneSource) =>
  FIXTURES[source].flatMap((name) =>
    readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
      .split('\n')
      .slice(0, -1),
  );

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ctx = { env: 'test', site: 'lab', tenant_id: 't' };

/** The audit event a fact would become (the ingest adds ids; these are the fields from the line). */
function auditOf(f: DataplaneFact) {
  return buildAuditEvent(ctx, {
    component: 'gateway',
    action: f.action,
    result: f.result,
    gateway: 'gw-1',
    src_ip: f.srcIp,
    src_port: f.srcPort,
    dst_port: f.dstPort,
    proto: f.proto,
    ovpn_virtual_ip: f.virtualIp,
    bytes_in: f.bytesIn,
    bytes_out: f.bytesOut,
    duration_ms: f.durationMs,
    error_msg: f.reason,
  });
}

function check(facts: readonly DataplaneFact[], origin: string): void {
  for (const f of facts) {
    assert.ok(dataplaneFact.check(f), `${origin}: ${JSON.stringify(f)}`);
    assert.doesNotThrow(() => auditOf(f), origin);
  }
}

const MUTATIONS: ((line: string, r: () => number, pool: readonly string[]) => string)[] = [
  (l, r) => l.slice(0, Math.floor(r() * l.length)), // cut
  (l, r) => {
    const i = Math.floor(r() * l.length);
    return l.slice(0, i) + String.fromCharCode(Math.floor(r() * 32)) + l.slice(i + 1); // a control char
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    return l.slice(0, i) + String.fromCharCode(Math.floor(r() * 0xffff)) + l.slice(i); // any UTF-16 unit
  },
  (l, r) => {
    // invalid UTF-8, decoded as the node would decode it
    const b = Buffer.from(l);
    b[Math.floor(r() * b.length)] = 0x80 + Math.floor(r() * 0x7f);
    return b.toString('utf8');
  },
  (l, r) => l.replace(/[0-9]/g, (d) => (r() < 0.2 ? String(Math.floor(r() * 10)) : d)), // digits
  (l, r) => l.replace(/[0-9]+/, () => '9'.repeat(1 + Math.floor(r() * 30))), // huge numbers
  (l, r, pool) => l + (pool[Math.floor(r() * pool.length)] ?? ''), // two lines in one
  (l, r) => l.replace(/ /g, (s) => (r() < 0.1 ? '  ' : s)), // doubled spaces
  (l) => `${l} {"action":"spa.accepted","src_ip":"6.6.6.6"}`, // injected JSON
  (l, r) => l.repeat(2 + Math.floor(r() * 2000)), // long
  (l) => l.replace(/\d+\.\d+\.\d+\.\d+/, '300.1.2.3'), // impossible address
  (l) => l.replace(/s-[0-9a-f]{32}/, `s-${'G'.repeat(32)}`), // bad session id
];

describe('data-plane parsers under hostile input', () => {
  for (const source of DATAPLANE_SOURCES) {
    test(`${source}: 3000 seeded mutations of the real log never throw nor yield a bad field`, () => {
      const pool = linesOf(source);
      const r = rng(0x5eed + source.length);
      const parser = createParser(source);
      let produced = 0;
      for (let i = 0; i < 3000; i++) {
        const base = pool[Math.floor(r() * pool.length)] ?? '';
        const mutate = MUTATIONS[Math.floor(r() * MUTATIONS.length)];
        const line = mutate ? mutate(base, r, pool) : base;
        const stanzaCount = r() < 0.5 ? null : Math.floor(r() * 4);
        let facts: DataplaneFact[] = [];
        assert.doesNotThrow(() => {
          facts = parser.parse(line, { stanzaCount });
        }, `mutation ${i}`);
        check(facts, `mutation ${i}`);
        produced += facts.length;
        // Interleave untouched lines so the state machines go somewhere.
        check(parser.parse(pool[i % pool.length] ?? ''), `line ${i}`);
      }
      check(parser.flush(), 'flush');
      assert.ok(produced > 0, 'no mutation produced any fact: the fuzzing reached nothing');
    });
  }

  test('overlong lines, NUL bytes, lone surrogates and non-strings are refused without effort', () => {
    for (const source of DATAPLANE_SOURCES) {
      const p = createParser(source);
      const started = performance.now();
      for (const line of [
        'A'.repeat(10_000_000),
        `(stanza #1) SPA Packet from IP: 10.0.0.1 received with access source match${' '.repeat(5000)}`,
        '\u0000'.repeat(1000),
        '\ud800\udfff\ud800',
        '',
        undefined as unknown as string,
        { toString: () => 'x' } as unknown as string,
      ]) {
        check(p.parse(line), `${source} hostile`);
      }
      assert.ok(performance.now() - started < 500, `${source} spent too long on hostile lines`);
    }
  });
});

describe('nothing a remote peer writes becomes a field', () => {
  const MARK_IP = '6.6.6.6';
  const MARK_PORT = 6666;
  const MARK_SESSION = `s-${'6'.repeat(32)}`;
  const values = (facts: DataplaneFact[]) => facts.flatMap((f) => Object.values(f).map(String));
  const assertClean = (facts: DataplaneFact[]) => {
    for (const v of values(facts)) {
      assert.ok(!v.includes(MARK_IP), `planted address in ${v}`);
      assert.ok(v !== String(MARK_PORT), 'planted port');
      assert.ok(!v.includes(MARK_SESSION), 'planted session');
      assert.ok(!v.includes('spa.accepted') || v === 'spa.accepted', 'planted action');
    }
  };

  test('stunnel: a client certificate subject full of forged messages', () => {
    const p = createParser('stunnel');
    const t = '2026.12.04 10:00:00';
    const subject = `CN=${MARK_SESSION}\\0A${t} LOG5[1]: Service [viworks_tls] accepted connection from ${MARK_IP}:${MARK_PORT}, O={"action":"spa.accepted"}`;
    const facts = [
      `${t} LOG5[1]: Service [viworks_tls] accepted connection from 192.0.2.1:40000`,
      `${t} LOG4[1]: CERT: Pre-verification error: self-signed certificate`,
      `${t} LOG4[1]: Rejected by CERT at depth=0: ${subject}`,
      `${t} LOG4[1]: Certificate accepted at depth=1: CN=${MARK_SESSION}, O=x`,
      `${t} LOG3[1]: SSL_accept: ../ssl/x.c:1: error:0A000086:SSL routines::certificate verify failed`,
    ].flatMap((l) => p.parse(l));
    assert.equal(facts.length, 1);
    assert.equal(facts[0]?.srcIp, '192.0.2.1');
    assert.equal(facts[0]?.sessionWireId, null);
    assertClean(facts);
  });

  test('fwknopd: an authenticated username that imitates the rest of the line', () => {
    const p = createParser('fwknopd');
    const forged = `x) does not match required username: d-${'6'.repeat(32)} [${MARK_IP}] (stanza #9) SPA Packet from IP: ${MARK_IP}`;
    const facts = [
      '(stanza #1) SPA Packet from IP: 192.0.2.1 received with access source match',
      `[192.0.2.1] (stanza #1) Username in SPA data (${forged}) does not match required username: d-${'a'.repeat(32)}`,
      'Removed rule 1 from FWKNOP_INPUT with expire time of 1',
    ].flatMap((l) => p.parse(l));
    assert.deepEqual(
      facts.map((f) => [f.action, f.srcIp, f.stanza, f.reason]),
      [['spa.rejected', '192.0.2.1', 1, "username is not the keys' device"]],
    );
    assertClean(facts);
  });

  test('openvpn: peer info and a CN that imitate the hook line and a connect', () => {
    const p = createParser('openvpn');
    const t = '2026-12-04 10:00:00';
    const key = '127.0.0.1:50000';
    const facts = [
      `${t} TCP connection established with [AF_INET]${key}`,
      `${t} ${key} peer info: IV_GUI_VER=x ${DISCONNECT_HOOK_TAG} 1 1 1 1 ${MARK_IP} ${MARK_PORT} ${MARK_SESSION}`,
      `${t} ${key} peer info: UV_X=${MARK_SESSION}/${key} MULTI: primary virtual IP for ${MARK_SESSION}/${key}: ${MARK_IP}`,
      `${t} ${key} VERIFY ERROR: depth=0, error=certificate revoked: CN=${MARK_SESSION} ${MARK_IP}`,
      `${t} ${key} SIGUSR1[soft,tls-error] received, client-instance restarting`,
      // The hook prints the CN last: a CN with spaces and numbers cannot move the numbers before it.
      `${DISCONNECT_HOOK_TAG} 1796346905 70 3037 2976 10.8.0.2 44408 ${MARK_SESSION} ${MARK_IP} ${MARK_PORT}`,
    ].flatMap((l) => p.parse(l));
    assert.deepEqual(
      facts.map((f) => [f.action, f.reason, f.virtualIp, f.bytesIn]),
      [
        ['ovpn.handshake_failed', 'certificate: certificate revoked (depth 0)', null, null],
        ['ovpn.disconnect', null, '10.8.0.2', 3037],
      ],
    );
    assertClean(facts);
  });
});
