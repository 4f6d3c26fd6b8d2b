// The data-plane ingest in-process: the node's real pull_logs verb over the real lab logs
// (core/gateway/dataplane/fixtures) stands in for SSH, a fake database for the gateway row, the
// sessions and devices. A new gateway starts at the end of each log; then every step becomes one
// valid audit event with the gateway, the device behind the SPA stanza, the session and user behind
// the certificate, and the TLS peer behind OpenVPN's loopback relay; the cursors only move forward
// and only from the value read. The front door's hello log puts JA3/JA4 on stunnel's handshakes:
// the daemon's proxy (measured as the backend measures it at start) is known, a TLS 1.2 client and
// an unknown TLS 1.3 client reach the tls_fingerprint_unknown rule.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AuditEvent, buildAuditEvent } from '../../../core/audit/event.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { NO_FILE_CURSOR } from '../../../core/gateway/dataplane/cursor.js';
import { frontDoorHelloLog } from '../../../gateway/front-door/paths.js';
import { renderAccessConf } from '../../../gateway/render/access-conf.js';
import { sampleSettings } from '../../../gateway/render/test-fixtures.js';
import { fwknopdLog } from '../../../gateway/services/service-paths.js';
import { createNodeConfig, type NodeConfigFixture } from '../../../gateway/testing/node-config-fixture.js';
import { pullLogs } from '../../../gateway/verbs/pull-logs.js';
import { MemoryKv } from '../../kv/memory-kv.js';
import { loadOrCreatePki } from '../../pki/embedded-pki.js';
import { splitNames } from '../../start.js';
import type { AuditService, ServiceAuditFacts } from '../audit/service.js';
import { harness as detections } from '../detections/testing/harness.js';
import { startTlsFingerprinting, type TlsFingerprinting } from '../tls-fingerprints/service.js';
import {
  HELLO_RETRY_MS,
  ingestDataplane,
  isForward,
  type PullPage,
  readLogCursors,
} from './ingest-dataplane.js';
import type { GatewayRow, OpsDeps } from './operations.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../core/gateway/dataplane/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(0, -1);

// The lab's ids (fixtures/README.md): its one device, and the two sessions it had.
const DEVICE = '01a23e9e-6aeb-7384-81b2-680251706328';
const DEVICE_WIRE = 'd-01a23e9e6aeb738481b2680251706328';
const SESSION_1 = '01a23e9e-74a4-766f-8e72-31d368e1d11b';
const SESSION_2 = '01a23e9f-b445-733c-8cb5-475992d6ba75';
const USER_AUDIT_ID = 'a7c1a0e4-3b7e-4c55-9a51-6f0d2c1e9b10';
const pseudonym = (auditId: string) => `u-${createHash('sha256').update(auditId).digest('hex').slice(0, 24)}`;

let fx: NodeConfigFixture;
before(() => {
  fx = createNodeConfig();
});
after(() => rmSync(fx.root, { recursive: true, force: true }));

const LOGS = () => ({
  fwknopd: { path: fwknopdLog(fx.config), lines: fixture('fwknopd-lab.log'), split: 6 },
  stunnel: { path: fx.config.facts.paths.stunnelLog, lines: fixture('stunnel-lab.log'), split: 8 },
  openvpn: { path: fx.config.facts.paths.openvpnLog, lines: fixture('openvpn-lab.log'), split: 31 },
});

/** The node's verb, in-process, as the SSH runner would reach it. */
const nodePull: PullPage = async (_row, source, afterArg) =>
  (
    await pullLogs({
      config: fx.config,
      args: [source, '2000', afterArg],
      input: undefined,
      now: () => new Date(),
    })
  ).result;

function harness(row: { logCursors: string }) {
  const events: AuditEvent[] = [];
  const recorded: ServiceAuditFacts[] = [];
  const writes: string[] = [];
  const clock = { ms: Date.parse('2026-12-04T03:00:00.000Z') };
  const db = {
    gateway: {
      async updateMany(q: { where: { id: string; logCursors: string }; data: { logCursors: string } }) {
        if (q.where.logCursors !== row.logCursors) return { count: 0 };
        row.logCursors = q.data.logCursors;
        writes.push(q.data.logCursors);
        return { count: 1 };
      },
    },
    session: {
      async findUnique(q: { where: { id: string } }) {
        return [SESSION_1, SESSION_2].includes(q.where.id)
          ? { deviceId: DEVICE, user: { auditId: USER_AUDIT_ID } }
          : null;
      },
    },
    desktopDevice: {
      async findUnique(q: { where: { id: string } }) {
        return q.where.id === DEVICE ? { user: { auditId: USER_AUDIT_ID } } : null;
      },
    },
  };
  const audit = {
    async record(facts: ServiceAuditFacts) {
      recorded.push(facts);
      const { userAuditId, ...rest } = facts;
      // buildAuditEvent validates every field against the closed schema: a bad value throws here.
      const event = buildAuditEvent(
        { env: 'test', site: 'lab', tenant_id: 't' },
        { ...rest, user_id: userAuditId ? pseudonym(userAuditId) : null },
      );
      events.push(event);
      return { seq: events.length, event, hash: '' };
    },
  };
  const deps = { db, audit, now: () => new Date(clock.ms) } as unknown as OpsDeps;
  const gatewayRow = () => ({ id: 'gw-1', name: 'gw-lab', ...row }) as unknown as GatewayRow;
  return { deps, events, recorded, writes, gatewayRow, clock };
}

describe('ingestDataplane', () => {
  const row = { logCursors: '{}' };
  const h = harness(row);

  test('a new gateway starts at the end of each log: nothing before it is replayed', async () => {
    for (const log of Object.values(LOGS())) {
      mkdirSync(dirname(log.path), { recursive: true });
      writeFileSync(log.path, `${log.lines.slice(0, log.split).join('\n')}\n`);
    }
    mkdirSync(dirname(fx.config.facts.paths.accessConf), { recursive: true });
    writeFileSync(
      fx.config.facts.paths.accessConf,
      renderAccessConf(
        [{ deviceId: DEVICE_WIRE, keyBase64: `${'A'.repeat(43)}=`, hmacKeyBase64: `${'B'.repeat(86)}==` }],
        sampleSettings(),
      ),
    );
    assert.equal(await ingestDataplane(h.deps, h.gatewayRow(), nodePull), 0);
    assert.deepEqual(h.events, []);
    const cursors = readLogCursors(row.logCursors);
    assert.deepEqual(Object.keys(cursors).sort(), ['fwknopd', 'hello', 'openvpn', 'stunnel']);
  });

  test('then every data-plane step is one valid event with its ids resolved', async () => {
    for (const log of Object.values(LOGS()))
      appendFileSync(log.path, `${log.lines.slice(log.split).join('\n')}\n`);
    const read = await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    const all = Object.values(LOGS()).reduce((n, l) => n + l.lines.length - l.split, 0);
    assert.equal(read, all);
    const user = pseudonym(USER_AUDIT_ID);
    for (const e of h.events) {
      assert.equal(e.component, 'gateway');
      assert.equal(e.gateway, 'gw-lab');
    }
    const by = (action: string) => h.events.filter((e) => e.action === action);
    const accepted = by('spa.accepted');
    assert.equal(accepted.length, 17);
    for (const e of accepted) {
      assert.deepEqual(
        [e.result, e.src_ip, e.dst_port, e.fwknop_id, e.device_id, e.user_id],
        ['success', '10.231.12.2', 443, DEVICE_WIRE, DEVICE, user],
      );
    }
    assert.equal(accepted.filter((e) => e.error_msg === 'access opened for 10.231.12.99').length, 1);
    assert.deepEqual(
      by('spa.rejected').map((e) => [e.fwknop_id, e.error_msg]),
      [
        [null, 'no enrolled key authenticates it (HMAC)'],
        [DEVICE_WIRE, 'packet time off by 3600 s (clock skew or an old capture)'],
        [DEVICE_WIRE, "username is not the keys' device"],
        [DEVICE_WIRE, 'requested port not allowed'],
      ],
    );
    assert.deepEqual(
      by('spa.replayed').map((e) => [e.result, e.severity, e.src_ip, e.fwknop_id]),
      [['denied', 'warning', '10.231.12.2', null]],
    );
    const tls = by('tls.handshake');
    assert.equal(tls.length, 13);
    assert.deepEqual(
      tls.filter((e) => e.result === 'success').map((e) => [e.src_port, e.proto, e.session_id, e.user_id]),
      [
        [36746, 'TLSv1.3', SESSION_1, user],
        // the int-vpn certificate for a session the backend never issued: no user
        [47742, 'TLSv1.3', 'b522f005-722f-eaf9-d265-457c0020a7e8', null],
        [47744, 'TLSv1.3', 'b522f005-722f-eaf9-d265-457c0020a7e8', null],
        [47752, 'TLSv1.3', 'b522f005-722f-eaf9-d265-457c0020a7e8', null],
        [42092, 'TLSv1.3', SESSION_2, user],
      ],
    );
    assert.ok(
      tls
        .filter((e) => e.result === 'failure')
        .every((e) => /^TLS handshake failed: /.test(e.error_msg ?? '')),
    );
    // OpenVPN's clients carry the TLS peer stunnel saw, not the loopback relay.
    assert.deepEqual(
      by('ovpn.connect').map((e) => [
        e.src_ip,
        e.src_port,
        e.ovpn_virtual_ip,
        e.session_id,
        e.device_id,
        e.user_id,
      ]),
      [
        ['10.231.12.2', 36746, '10.232.12.2', SESSION_1, DEVICE, user],
        ['10.231.12.2', 42092, '10.232.12.2', SESSION_2, DEVICE, user],
      ],
    );
    assert.deepEqual(
      by('ovpn.disconnect').map((e) => [
        e.src_ip,
        e.ovpn_virtual_ip,
        e.bytes_in,
        e.bytes_out,
        e.duration_ms,
        e.session_id,
      ]),
      [
        ['10.231.12.2', '10.232.12.2', 3037, 2976, 70_000, SESSION_1],
        ['10.231.12.2', '10.232.12.2', 2797, 2619, 11_000, SESSION_2],
      ],
    );
    // A refused OpenVPN client gets its session from the certificate stunnel verified.
    assert.deepEqual(
      by('ovpn.handshake_failed').map((e) => [e.src_ip, e.src_port, e.session_id, e.error_msg]),
      [
        [
          '10.231.12.2',
          47742,
          'b522f005-722f-eaf9-d265-457c0020a7e8',
          'not authorized on this gateway (no CCD entry)',
        ],
        [
          '10.231.12.2',
          47744,
          'b522f005-722f-eaf9-d265-457c0020a7e8',
          'tls-crypt authentication failed (wrong key, or not OpenVPN)',
        ],
        [
          '10.231.12.2',
          47752,
          'b522f005-722f-eaf9-d265-457c0020a7e8',
          'not OpenVPN traffic (bad packet length)',
        ],
      ],
    );
    assert.equal(h.events.length, 17 + 4 + 1 + 13 + 2 + 2 + 3);
  });

  test('nothing new: no event, no write', async () => {
    const writes = h.writes.length;
    const events = h.events.length;
    assert.equal(await ingestDataplane(h.deps, h.gatewayRow(), nodePull), 0);
    assert.deepEqual([h.writes.length, h.events.length], [writes, events]);
  });

  test('a poller holding a stale row does not move the cursors', async () => {
    const stale = h.gatewayRow(); // read by a second poller before the first one wrote
    appendFileSync(
      LOGS().stunnel.path,
      '2026.12.04 02:00:00 LOG5[90]: Service [viworks_tls] accepted connection from 192.0.2.5:1000\n',
    );
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    const moved = row.logCursors;
    assert.notEqual(moved, stale.logCursors);
    const writes = h.writes.length;
    // The second poller pulls from its stale cursor; its compare-and-set matches nothing.
    await ingestDataplane(h.deps, stale, nodePull);
    assert.deepEqual([row.logCursors, h.writes.length], [moved, writes]);
  });

  test('a client that connects while a round is pulling still gets its TLS peer', async () => {
    const connect = (port: number, relay: number) => {
      appendFileSync(
        LOGS().stunnel.path,
        [
          `2026.12.04 03:00:00 LOG5[9${port}]: Service [viworks_tls] accepted connection from 192.0.2.77:${port}`,
          `2026.12.04 03:00:00 LOG5[9${port}]: Service [viworks_tls] connected remote server from 127.0.0.1:${relay}`,
          '',
        ].join('\n'),
      );
      appendFileSync(
        LOGS().openvpn.path,
        [
          `2026-12-04 03:00:00 TCP connection established with [AF_INET]127.0.0.1:${relay}`,
          `2026-12-04 03:00:00 127.0.0.1:${relay} tls-crypt unwrap error: packet authentication failed`,
          `2026-12-04 03:00:00 127.0.0.1:${relay} Connection reset, restarting [0]`,
          '',
        ].join('\n'),
      );
    };
    // The client's lines land after one source was pulled and before the next, at each step.
    for (const [after, port, relay] of [
      ['fwknopd', 41001, 51001],
      ['openvpn', 41002, 51002],
      ['stunnel', 41003, 51003],
    ] as const) {
      const during: PullPage = async (r, source, cursor) => {
        const page = await nodePull(r, source, cursor);
        if (source === after) connect(port, relay);
        return page;
      };
      await ingestDataplane(h.deps, h.gatewayRow(), during);
    }
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    const failed = h.events.filter((e) => e.action === 'ovpn.handshake_failed' && e.src_ip === '192.0.2.77');
    assert.deepEqual(
      failed.map((e) => e.src_port).sort(),
      [41001, 41002, 41003],
      JSON.stringify(h.events.filter((e) => e.action === 'ovpn.handshake_failed').slice(-3)),
    );
  });

  test('a node that answers with a cursor behind the one sent is not followed', async () => {
    const cursors = readLogCursors(row.logCursors);
    const back = (c: string | undefined) => (c ?? '').replace(/:([0-9]+)$/, ':0');
    const liar: PullPage = async (_r, source) => ({
      lines: ['(stanza #1) SPA Packet from IP: 192.0.2.66 received with access source match'],
      next_seq: null,
      next_cursor: back(cursors[source]),
      restarted: false,
      eof: true,
    });
    const before = row.logCursors;
    const events = h.events.length;
    await ingestDataplane(h.deps, h.gatewayRow(), liar);
    assert.deepEqual([row.logCursors, h.events.length], [before, events]);
  });

  test('a reply that breaks the contract is refused as a gateway error', async () => {
    const bad: PullPage = async () => ({
      lines: ['x'],
      next_seq: null,
      next_cursor: 'end',
      restarted: false,
      eof: true,
    });
    await assert.rejects(ingestDataplane(h.deps, h.gatewayRow(), bad), { code: 'VIW_E_GATEWAY_COMMAND' });
    const extra: PullPage = async () => ({
      lines: [],
      next_seq: null,
      next_cursor: '1:0000000000000000:0',
      restarted: false,
      eof: true,
      sql: 1,
    });
    await assert.rejects(ingestDataplane(h.deps, h.gatewayRow(), extra), { code: 'VIW_E_GATEWAY_COMMAND' });
  });
});

test('stored cursors: anything unexpected counts as none; only forward moves are taken', () => {
  assert.deepEqual(readLogCursors('{}'), {});
  assert.deepEqual(readLogCursors('not json'), {});
  assert.deepEqual(readLogCursors('{"fwknopd":"1:0000000000000000:5","audit":"x"}'), {});
  assert.deepEqual(readLogCursors('{"stunnel":"1:0000000000000000:5"}'), { stunnel: '1:0000000000000000:5' });
  const c = (inode: number, offset: number) => `${inode}:0123456789abcdef:${offset}`;
  assert.equal(isForward(undefined, c(1, 0), false), true);
  assert.equal(isForward(c(1, 5), c(1, 5), false), true);
  assert.equal(isForward(c(1, 5), c(1, 9), false), true);
  assert.equal(isForward(c(1, 5), c(1, 4), false), false);
  assert.equal(isForward(c(1, 5), c(2, 0), false), false);
  assert.equal(isForward(c(1, 5), c(2, 0), true), true);
  assert.equal(isForward(c(1, 5), 'end', true), false);
  // A log that did not exist yet (the hello log before the first connection), then does.
  assert.equal(isForward(NO_FILE_CURSOR, c(7, 120), false), true);
  assert.equal(isForward(NO_FILE_CURSOR, NO_FILE_CURSOR, false), true);
});

describe('front-door fingerprints on the gateway handshakes', () => {
  let fingerprinting: TlsFingerprinting;
  let pkiDir: string;
  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'viw-ingest-fp-'));
    const pki = await loadOrCreatePki(pkiDir, splitNames(['localhost', '127.0.0.1']));
    // The backend's own start-up assembly: the daemon's gateway proxy measured for real.
    fingerprinting = await startTlsFingerprinting({
      config: { tls: { fingerprintAllowlist: [], fingerprintAllowlistFile: null } },
      kv: new MemoryKv(),
      audit: { record: async () => undefined } as unknown as Pick<AuditService, 'record'>,
      caPem: pki.rootPem,
      log: { error: () => undefined },
    });
  });
  after(() => rmSync(pkiDir, { recursive: true, force: true }));

  const proxy = () => fingerprinting.ownClients.find((f) => f.variant === 'gateway proxy')!;
  // What `openssl s_client` (OpenSSL 3.0) sends with -tls1_2 and -tls1_3, as the capture wrote them.
  const TLS12 = { ja3: '871a754af286dfb70c1b53c6887c62e0', ja4: 't12d280700_d943125447b4_e7e480e5a997' };
  const TLS13 = { ja3: 'c1e58b5fa361cf5bfc0635a61bd8573c', ja4: 't13d040900_16476d049b0b_78f1d400d464' };
  const SRC = '198.51.100.20';
  const helloLog = () => frontDoorHelloLog(fx.config);
  const stunnelLog = () => fx.config.facts.paths.stunnelLog;
  const hello = (port: number, f: { ja3: string; ja4: string }, extra: object = {}) =>
    JSON.stringify({
      ts: '2026-12-04T03:00:00.000Z',
      src_ip: SRC,
      src_port: port,
      dst_port: 443,
      ja3: f.ja3,
      ja4: f.ja4,
      ...extra,
    });
  let conn = 700;
  const stunnel = (port: number, outcome: 'ok' | 'tls1.2' | 'no certificate') => {
    const n = conn++;
    const at = `2026.12.04 03:00:00 LOG5[${n}]:`;
    const lines = [`${at} Service [viworks_tls] accepted connection from ${SRC}:${port}`];
    if (outcome === 'ok') {
      lines.push(
        `${at} Certificate accepted at depth=0: CN=s-${SESSION_1.replaceAll('-', '')}, O=ViWorkS`,
        `${at} Service [viworks_tls] connected remote server from 127.0.0.1:${port + 1000}`,
      );
    } else {
      const reason =
        outcome === 'tls1.2'
          ? 'statem_srvr.c:1664: error:0A000102:SSL routines::unsupported protocol'
          : 'statem_srvr.c:3517: error:0A0000C7:SSL routines::peer did not return a certificate';
      lines.push(
        `2026.12.04 03:00:00 LOG3[${n}]: SSL_accept: ../ssl/statem/${reason}`,
        `${at} Connection reset/closed: 0 byte(s) sent to TLS, 0 byte(s) sent to socket`,
      );
    }
    appendFileSync(stunnelLog(), `${lines.join('\n')}\n`);
  };
  const byPort = (events: AuditEvent[], action: string) =>
    Object.fromEntries(
      events
        .filter((e) => e.action === action)
        .map((e) => [e.src_port, [e.result, e.tls_ja3, e.tls_ja4 ?? null]]),
    );

  test('the proxy is known; a TLS 1.2 client and an unknown TLS 1.3 client alert; no hello, no fingerprint', async () => {
    const h = harness({ logCursors: '{}' });
    writeFileSync(helloLog(), '', { mode: 0o600 });
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull, fingerprinting.gatewayAllowlist);
    // The capture writes each hello as the client sends it; stunnel logs the end of the handshake.
    appendFileSync(
      helloLog(),
      [
        hello(52001, proxy()),
        hello(52002, TLS12),
        hello(52003, TLS13),
        'not json {',
        hello(52005, TLS13, { note: 'a field the schema does not know' }),
        hello(52006, { ja3: TLS13.ja3, ja4: 't13d040900_16476d049b0b_78f1d400d46' }),
        '',
      ].join('\n'),
    );
    stunnel(52001, 'ok');
    stunnel(52002, 'tls1.2');
    stunnel(52003, 'no certificate');
    stunnel(52004, 'no certificate'); // its hello was never captured
    stunnel(52005, 'no certificate');
    stunnel(52006, 'no certificate');
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull, fingerprinting.gatewayAllowlist);

    assert.deepEqual(byPort(h.events, 'tls.handshake'), {
      52001: ['success', proxy().ja3, proxy().ja4],
      52002: ['failure', TLS12.ja3, TLS12.ja4],
      52003: ['failure', TLS13.ja3, TLS13.ja4],
      52004: ['failure', null, null],
      52005: ['failure', null, null],
      52006: ['failure', null, null],
    });
    assert.deepEqual(byPort(h.events, 'tls.fingerprint_unknown'), {
      52002: ['failure', TLS12.ja3, TLS12.ja4],
      52003: ['failure', TLS13.ja3, TLS13.ja4],
    });
    const unknown = h.events.find((e) => e.action === 'tls.fingerprint_unknown' && e.src_port === 52003);
    assert.deepEqual(
      [unknown?.component, unknown?.gateway, unknown?.src_ip, unknown?.severity, unknown?.error_msg],
      ['gateway', 'gw-lab', SRC, 'notice', 'not in the allowlist; handshake failed'],
    );

    // Through the detection rules: the TLS 1.2 client is one alert (the downgrade), the unknown
    // TLS 1.3 client one (unknown at a gateway); the proxy none.
    const d = detections();
    await d.emit(...h.recorded.map(({ userAuditId: _, ...facts }) => facts));
    assert.deepEqual(
      d.sink.of('tls_fingerprint_unknown').map((a) => [a.fields.reason, a.severity, a.key]),
      [
        ['downgrade', 'error', `${TLS12.ja4}|${SRC}|gw-lab`],
        ['unknown', 'warning', `${TLS13.ja4}|${SRC}|gw-lab`],
      ],
    );
    await d.stop();

    // The same unknown client again within the window: its handshake carries the fingerprint, no
    // second tls.fingerprint_unknown.
    appendFileSync(helloLog(), `${hello(52007, TLS13)}\n`);
    stunnel(52007, 'no certificate');
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull, fingerprinting.gatewayAllowlist);
    assert.deepEqual(byPort(h.events, 'tls.handshake')[52007], ['failure', TLS13.ja3, TLS13.ja4]);
    assert.equal(h.events.filter((e) => e.action === 'tls.fingerprint_unknown').length, 2);
  });

  test('each list holds the clients expected where it is used', () => {
    const byName = fingerprinting.ownClients.find((f) => f.variant === 'by name (SNI)')!;
    assert.ok(fingerprinting.gatewayAllowlist.allows(proxy()));
    assert.ok(!fingerprinting.gatewayAllowlist.allows(byName));
    assert.ok(fingerprinting.allowlist.allows(byName));
    assert.ok(!fingerprinting.allowlist.allows(proxy()));
  });

  test('without an allowlist the fingerprints still go onto the handshake, and nothing is judged', async () => {
    const h = harness({ logCursors: '{}' });
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    appendFileSync(helloLog(), `${hello(52101, TLS13)}\n`);
    stunnel(52101, 'no certificate');
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    assert.deepEqual(byPort(h.events, 'tls.handshake'), { 52101: ['failure', TLS13.ja3, TLS13.ja4] });
    assert.deepEqual(byPort(h.events, 'tls.fingerprint_unknown'), {});
  });

  test('a hello log that appears after the first poll (the first connection at a new node) is followed', async () => {
    rmSync(helloLog(), { force: true });
    const h = harness({ logCursors: '{}' });
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    appendFileSync(helloLog(), `${hello(52151, TLS13)}\n`);
    stunnel(52151, 'no certificate');
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    assert.deepEqual(byPort(h.events, 'tls.handshake'), { 52151: ['failure', TLS13.ja3, TLS13.ja4] });
  });

  test('a hello the capture writes just after stunnel logged the handshake still joins it', async () => {
    const h = harness({ logCursors: '{}' });
    writeFileSync(helloLog(), '', { mode: 0o600 });
    await ingestDataplane(h.deps, h.gatewayRow(), nodePull);
    stunnel(52161, 'no certificate');
    // A loaded node: the capture appends the hello while the backend is already pulling this round.
    const lateCapture: PullPage = async (r, source, cursor) => {
      const page = await nodePull(r, source, cursor);
      if (source === 'stunnel') appendFileSync(helloLog(), `${hello(52161, TLS13)}\n`);
      return page;
    };
    await ingestDataplane(h.deps, h.gatewayRow(), lateCapture);
    assert.deepEqual(byPort(h.events, 'tls.handshake'), { 52161: ['failure', TLS13.ja3, TLS13.ja4] });
  });

  test('a node without the hello source: the daemons’ events still go; it is asked again later', async () => {
    const h = harness({ logCursors: '{}' });
    let asked = 0;
    let refusal: Error = new ViworksError('VIW_E_GATEWAY_COMMAND', { details: ['invalid request'] });
    const oldNode: PullPage = async (r, source, cursor) => {
      if (source !== 'hello') return nodePull(r, source, cursor);
      asked++;
      throw refusal;
    };
    await ingestDataplane(h.deps, h.gatewayRow(), oldNode);
    stunnel(52201, 'no certificate');
    await ingestDataplane(h.deps, h.gatewayRow(), oldNode);
    assert.deepEqual(byPort(h.events, 'tls.handshake'), { 52201: ['failure', null, null] });
    assert.equal(asked, 1);
    h.clock.ms += HELLO_RETRY_MS;
    await ingestDataplane(h.deps, h.gatewayRow(), oldNode);
    assert.equal(asked, 2);
    // Anything else (the node unreachable) fails the round as for the daemons' logs.
    h.clock.ms += HELLO_RETRY_MS;
    refusal = new ViworksError('VIW_E_GATEWAY_UNREACHABLE');
    await assert.rejects(ingestDataplane(h.deps, h.gatewayRow(), oldNode), {
      code: 'VIW_E_GATEWAY_UNREACHABLE',
    });
  });
});
