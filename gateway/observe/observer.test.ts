// The node's normalizer in-process over the real lab logs (core/gateway/dataplane/fixtures): a first
// start begins at the end of each log; then every data-plane step becomes one audit-schema event line
// with its own seq, the device behind the SPA stanza (from the access.conf on disk), the TLS peer
// behind OpenVPN's relay and the time of its line; a restart goes on from the saved cursors (nothing
// lost, nothing twice, the relay ports of live tunnels kept); a rotated log is followed; stunnel's
// handshakes carry the JA3/JA4 of the front door's hello line of the same source address and port (the
// hello log read with its own cursor, kept across a restart, added to an older state at its end); a
// round a crash cut short is completed exactly once; an unreadable state is refused, not guessed.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AuditEvent, parseAuditEvent } from '../../core/audit/event.js';
import { NO_FILE_CURSOR } from '../../core/gateway/dataplane/cursor.js';
import type { DataplaneSource } from '../../core/gateway/dataplane/index.js';
import { frontDoorHello } from '../../core/tls/front-door-hello.js';
import { helloLogIn } from '../front-door/paths.js';
import { renderAccessConf } from '../render/access-conf.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { FIREFOX_FIELDS, firefoxHelloLine } from '../testing/firefox-hello.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { type Observer, startObserver } from './observer.js';
import { type ObserverConfig, observerConfigFor } from './observer-config.js';
import { type ObserverPaths, observerPaths } from './observer-paths.js';
import { readObserverState, writeObserverState } from './observer-state.js';
import { ROUND_LINES } from './round.js';

// Local times in the logs are placed with the node's zone: pick one that is not UTC so it shows.
process.env.TZ = 'Europe/Amsterdam';

const fixture = (name: string) =>
  readFileSync(new URL(`../../core/gateway/dataplane/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(0, -1);

const DEVICE = '01a23e9e-6aeb-7384-81b2-680251706328';
const DEVICE_WIRE = 'd-01a23e9e6aeb738481b2680251706328';
const SESSION_1 = '01a23e9e-74a4-766f-8e72-31d368e1d11b';
const FQDN = sampleSettings().fqdn;

type Line = AuditEvent & { seq: number };

let fx: NodeConfigFixture;
let config: ObserverConfig;
let paths: ObserverPaths;
let observer: Observer | undefined;
/** What the normalizer said (diagnostics), for the tests that expect it to say nothing. */
let said: string[] = [];

const start = (withConfig: ObserverConfig = config) => {
  // One poll at start; the tests drive the rest with catchUp().
  observer = startObserver(withConfig, paths, { pollMs: 3_600_000, diagnose: (t) => said.push(t) });
  return observer;
};
const stop = async () => {
  await observer?.stop();
  observer = undefined;
};
const output = (): Line[] => {
  let text = '';
  try {
    text = readFileSync(paths.out, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => {
      const { seq, ...event } = JSON.parse(l) as Line;
      return { seq, ...parseAuditEvent(event) };
    });
};
const append = (path: string, lines: readonly string[]) => appendFileSync(path, `${lines.join('\n')}\n`);

before(() => {
  fx = createNodeConfig();
  config = observerConfigFor(fx.config, sampleSettings());
  paths = observerPaths(fx.config.state_dir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(fx.config.facts.paths.accessConf), { recursive: true });
  writeFileSync(
    fx.config.facts.paths.accessConf,
    renderAccessConf(
      [{ deviceId: DEVICE_WIRE, keyBase64: `${'A'.repeat(43)}=`, hmacKeyBase64: `${'B'.repeat(86)}==` }],
      sampleSettings(),
    ),
  );
});
after(async () => {
  await stop();
  rmSync(fx.root, { recursive: true, force: true });
});

/** The lines of one connection in the real stunnel log, by their line numbers in the file. */
const STUNNEL = fixture('stunnel-lab.log');
const connection = (first: number, last: number) => STUNNEL.slice(first - 1, last);

const hello = firefoxHelloLine;
const helloLog = () => config.hello_log ?? '';
/** Whether the saved hello cursor names the hello log as it is now, at its end. */
const helloCursorAtEnd = () => {
  const st = statSync(helloLog(), { bigint: true });
  const cursor = readObserverState(paths.state)?.cursors.hello ?? '';
  return new RegExp(`^${st.ino}:[0-9a-f]{16}:${st.size}$`).test(cursor);
};
/** The stunnel handshakes written since `before`: source port, result, fingerprints (when any). */
const handshakes = (before: number) =>
  output()
    .slice(before)
    .filter((e) => e.action === 'tls.handshake')
    .map((e) => [
      e.src_port,
      e.result,
      e.tls_ja3 === null && e.tls_ja4 === undefined ? {} : { tls_ja3: e.tls_ja3, tls_ja4: e.tls_ja4 },
    ]);

const LOGS = () => ({
  fwknopd: { path: config.logs.fwknopd, lines: fixture('fwknopd-lab.log'), split: 6 },
  stunnel: { path: config.logs.stunnel, lines: fixture('stunnel-lab.log'), split: 8 },
  openvpn: { path: config.logs.openvpn, lines: fixture('openvpn-lab.log'), split: 31 },
});

describe('the node normalizer', () => {
  test('a first start begins at the end of each log and saves that at once', async () => {
    for (const log of Object.values(LOGS())) {
      mkdirSync(dirname(log.path), { recursive: true });
      append(log.path, log.lines.slice(0, log.split));
    }
    await start().catchUp();
    assert.deepEqual(output(), []);
    const state = readObserverState(paths.state);
    assert.ok(state);
    assert.equal(state.seq, 0);
    for (const [source, log] of Object.entries(LOGS())) {
      const cursor = state.cursors[source as DataplaneSource];
      assert.match(cursor, /^[1-9][0-9]*:[0-9a-f]{16}:[0-9]+$/);
      assert.ok(cursor.endsWith(`:${statSync(log.path).size}`), `${source} starts at its end`);
    }
    assert.equal(statSync(paths.state).mode & 0o777, 0o600);
    // The front door's capture is not running yet: its log is read from its first line once it appears.
    assert.equal(config.hello_log, helloLogIn(fx.config.state_dir));
    assert.equal(state.cursors.hello, NO_FILE_CURSOR);
    assert.deepEqual(said, []);
  });

  test('then every step is one event line in the audit schema, numbered from 1', async () => {
    for (const log of Object.values(LOGS())) append(log.path, log.lines.slice(log.split));
    await observer!.catchUp();
    const events = output();
    assert.equal(events.length, 17 + 4 + 1 + 13 + 2 + 2 + 3);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.equal(statSync(paths.out).mode & 0o777, 0o600);
    for (const e of events) {
      assert.deepEqual(
        [e.component, e.gateway, e.site, e.user_id, e.country],
        ['gateway', FQDN, FQDN, null, null],
      );
    }
    const by = (action: string) => events.filter((e) => e.action === action);
    for (const e of by('spa.accepted')) {
      assert.deepEqual(
        [e.result, e.src_ip, e.dst_port, e.proto, e.fwknop_id, e.device_id],
        ['success', '10.231.12.2', 443, 'tcp', DEVICE_WIRE, DEVICE],
      );
    }
    assert.deepEqual(
      by('spa.rejected').map((e) => e.fwknop_id),
      [null, DEVICE_WIRE, DEVICE_WIRE, DEVICE_WIRE],
    );
    assert.deepEqual(
      by('spa.replayed').map((e) => [e.result, e.severity]),
      [['denied', 'warning']],
    );
    // stunnel's 2026.12.04 01:15:05 is Amsterdam time (UTC+1 in December).
    const first = by('tls.handshake')[0];
    assert.deepEqual(
      [first?.timestamp, first?.src_port, first?.session_id, first?.proto],
      ['2026-12-04T00:15:05.000Z', 36746, SESSION_1, 'TLSv1.3'],
    );
    // OpenVPN's clients carry the TLS peer stunnel saw, not the loopback relay.
    assert.deepEqual(
      by('ovpn.connect').map((e) => [e.src_ip, e.src_port, e.ovpn_virtual_ip, e.device_id]),
      [
        ['10.231.12.2', 36746, '10.232.12.2', null],
        ['10.231.12.2', 42092, '10.232.12.2', null],
      ],
    );
    const disconnect = by('ovpn.disconnect')[0];
    // The hook's Unix time (start + duration) is UTC already: 1796346905 + 70 s.
    assert.deepEqual(
      [disconnect?.timestamp, disconnect?.src_port, disconnect?.bytes_in, disconnect?.duration_ms],
      [new Date((1796346905 + 70) * 1000).toISOString(), 36746, 3037, 70_000],
    );
    // fwknopd prints no time: its events carry the time they were read.
    for (const e of by('spa.accepted')) assert.ok(Date.now() - Date.parse(e.timestamp) < 60_000);
  });

  test('a restart goes on from the saved cursors: nothing lost, nothing twice, live relays kept', async () => {
    const before = output().length;
    const relay = 51_900;
    // A tunnel comes up before the restart and ends after it.
    append(config.logs.stunnel, [
      '2026.12.04 04:00:00 LOG5[70]: Service [viworks_tls] accepted connection from 192.0.2.70:40070',
      `2026.12.04 04:00:00 LOG5[70]: Certificate accepted at depth=0: CN=s-${'7'.repeat(32)}, O=ViWorkS`,
      `2026.12.04 04:00:00 LOG5[70]: Service [viworks_tls] connected remote server from 127.0.0.1:${relay}`,
    ]);
    append(config.logs.openvpn, [
      `2026-12-04 04:00:00 TCP connection established with [AF_INET]127.0.0.1:${relay}`,
      `2026-12-04 04:00:01 s-${'7'.repeat(32)}/127.0.0.1:${relay} MULTI: primary virtual IP for s-${'7'.repeat(32)}/127.0.0.1:${relay}: 10.232.12.9`,
    ]);
    await observer!.catchUp();
    await stop();
    // While it is down: the end of that tunnel, and a refused handshake.
    append(config.logs.openvpn, [
      `viworks-ovpn-disconnect 1796356800 60 100 200 10.232.12.9 ${relay} s-${'7'.repeat(32)}`,
    ]);
    append(config.logs.stunnel, [
      '2026.12.04 04:02:00 LOG5[71]: Service [viworks_tls] accepted connection from 192.0.2.71:40071',
      '2026.12.04 04:02:00 LOG3[71]: SSL_accept: ../ssl/statem/statem_srvr.c:1664: error:0A000102:SSL routines::unsupported protocol',
    ]);
    await start().catchUp();
    const events = output();
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'no gap, no repeat',
    );
    assert.deepEqual(
      events.slice(before).map((e) => [e.action, e.result, e.src_ip, e.src_port]),
      [
        ['tls.handshake', 'success', '192.0.2.70', 40070],
        ['ovpn.connect', 'success', '192.0.2.70', 40070],
        ['tls.handshake', 'failure', '192.0.2.71', 40071],
        ['ovpn.disconnect', 'success', '192.0.2.70', 40070],
      ],
    );
    await observer!.catchUp();
    assert.equal(output().length, events.length, 'nothing new: nothing written');
  });

  test('a rotated log is followed: the rest of the old file first, then the new one', async () => {
    const before = output().length;
    const log = config.logs.stunnel;
    renameSync(log, `${log}.1`);
    // stunnel keeps writing to the renamed file until it reopens its log.
    append(`${log}.1`, [
      '2026.12.04 05:00:00 LOG5[80]: Service [viworks_tls] accepted connection from 192.0.2.80:40080',
      '2026.12.04 05:00:00 LOG3[80]: SSL_accept: x.c:1: error:0A00009C:SSL routines::http request',
    ]);
    append(log, [
      '2026.12.04 05:00:01 LOG5[81]: Service [viworks_tls] accepted connection from 192.0.2.81:40081',
      '2026.12.04 05:00:01 LOG3[81]: SSL_accept: x.c:1: error:0A00009C:SSL routines::http request',
    ]);
    await observer!.catchUp();
    assert.deepEqual(
      output()
        .slice(before)
        .map((e) => [e.src_ip, e.error_msg]),
      [
        ['192.0.2.80', 'TLS handshake failed: http request'],
        ['192.0.2.81', 'TLS handshake failed: http request'],
      ],
    );
  });

  test('hostile lines: an overlong one is skipped, an injected one forges nothing', async () => {
    const before = output().length;
    append(config.logs.stunnel, [
      `2026.12.04 06:00:00 LOG5[90]: ${'A'.repeat(200_000)}`,
      '2026.12.04 06:00:00 LOG5[91]: Service [viworks_tls] accepted connection from 192.0.2.91:40091',
      '2026.12.04 06:00:00 LOG3[91]: SSL_accept: x.c:1: error:0A00009C:SSL routines::http request {"action":"spa.accepted","src_ip":"6.6.6.6"}',
    ]);
    await observer!.catchUp();
    const added = output().slice(before);
    assert.deepEqual(
      added.map((e) => [e.action, e.src_ip]),
      [['tls.handshake', '192.0.2.91']],
    );
    assert.ok(!JSON.stringify(added).includes('6.6.6.6'));
  });

  test('a handshake carries the JA3/JA4 of the hello line from its source address and port', async () => {
    const before = output().length;
    const dtls = JSON.parse(hello(55028)) as Record<string, string>;
    // A JA4 the hello line's schema takes but the audit event's does not (a DTLS version code).
    dtls.ja4 = `td1${dtls.ja4?.slice(3)}`;
    assert.ok(frontDoorHello.check(dtls));
    said = [];
    append(helloLog(), [hello(36746), hello(55027), JSON.stringify(dtls)]);
    append(config.logs.stunnel, [...connection(9, 12), ...connection(13, 15), ...connection(16, 18)]);
    await observer!.catchUp();
    assert.deepEqual(handshakes(before), [
      [36746, 'success', FIREFOX_FIELDS],
      [55026, 'failure', {}], // the hello of the port next to it is another connection's
      [55028, 'failure', {}], // the event is recorded, without a fingerprint it cannot carry
    ]);
    assert.ok(helloCursorAtEnd());
    assert.deepEqual(said, []);
  });

  test('a restart goes on from the saved hello cursor; unclaimed hellos are not kept', async () => {
    const before = output().length;
    append(helloLog(), [hello(46880)]);
    await observer!.catchUp();
    assert.ok(helloCursorAtEnd(), 'the hello is read before the restart');
    const cursor = readObserverState(paths.state)?.cursors.hello;
    await stop();
    await start().catchUp();
    assert.equal(readObserverState(paths.state)?.cursors.hello, cursor);
    // Its handshake ends after the restart: the hello was neither kept nor read again.
    append(config.logs.stunnel, connection(19, 21));
    append(helloLog(), [hello(46894)]);
    append(config.logs.stunnel, connection(22, 26));
    await observer!.catchUp();
    assert.deepEqual(handshakes(before), [
      [46880, 'failure', {}],
      [46894, 'failure', FIREFOX_FIELDS],
    ]);
  });

  test('a state and a config from before the hello log work; that log then starts at its end', async () => {
    const before = output().length;
    await stop();
    const { hello: _, ...olderCursors } = readObserverState(paths.state)!.cursors;
    const older = { ...readObserverState(paths.state)!, cursors: olderCursors };
    writeFileSync(paths.state, `${JSON.stringify(older)}\n`);
    const { hello_log: __, ...olderConfig } = config;
    await start(olderConfig).catchUp();
    assert.equal(readObserverState(paths.state)?.cursors.hello, undefined);
    // Written before the normalizer follows the hello log: never read.
    append(helloLog(), [hello(46906)]);
    await stop();
    await start().catchUp();
    assert.ok(helloCursorAtEnd());
    append(config.logs.stunnel, connection(27, 29));
    append(helloLog(), [hello(34144)]);
    append(config.logs.stunnel, connection(30, 32));
    await observer!.catchUp();
    assert.deepEqual(handshakes(before), [
      [46906, 'failure', {}],
      [34144, 'failure', FIREFOX_FIELDS],
    ]);
  });

  test('a rotated hello log is followed: the rest of the old file first, then the new one', async () => {
    const before = output().length;
    said = [];
    renameSync(helloLog(), `${helloLog()}.1`);
    append(`${helloLog()}.1`, [hello(34152)]);
    append(helloLog(), [hello(34154)]);
    append(config.logs.stunnel, [...connection(33, 37), ...connection(38, 42)]);
    await observer!.catchUp();
    assert.deepEqual(handshakes(before), [
      [34152, 'failure', FIREFOX_FIELDS],
      [34154, 'failure', FIREFOX_FIELDS],
    ]);
    assert.deepEqual(said, []);
  });

  test('behind a hello backlog stunnel waits one round for the rest, never two', async () => {
    const before = output().length;
    said = [];
    const others = (n: number) => Array.from({ length: n }, (_, i) => hello(20_000 + i, '10.231.12.3'));
    // Its hello is the first line past one round's read: found after stunnel waited a round.
    append(helloLog(), [...others(ROUND_LINES), hello(47742)]);
    append(config.logs.stunnel, connection(43, 47));
    await observer!.catchUp();
    // Past two rounds' reads: stunnel's events do not wait that long.
    append(helloLog(), [...others(2 * ROUND_LINES), hello(47744)]);
    append(config.logs.stunnel, connection(48, 52));
    await observer!.catchUp();
    assert.deepEqual(handshakes(before), [
      [47742, 'success', FIREFOX_FIELDS],
      [47744, 'success', {}],
    ]);
    assert.ok(helloCursorAtEnd());
    assert.deepEqual(said, []);
  });

  test('a round a crash cut short is completed exactly once at the next start', async () => {
    await stop();
    const text = readFileSync(paths.out, 'utf8');
    const lines = text.split('\n').slice(0, -1);
    // As if the process died after saving the round and writing half of its first line.
    const last = lines.slice(-2);
    const kept = lines.slice(0, -2).join('\n');
    const cut = `${kept}\n${last[0]?.slice(0, 40)}`;
    writeFileSync(paths.out, cut, { mode: 0o600 });
    const state = readObserverState(paths.state);
    assert.ok(state);
    writeObserverState(paths.state, {
      ...state,
      pending: {
        inode: statSync(paths.out, { bigint: true }).ino.toString(),
        offset: Buffer.byteLength(`${kept}\n`),
        text: `${last.join('\n')}\n`,
      },
    });
    await start().catchUp();
    assert.equal(readFileSync(paths.out, 'utf8'), text);
    assert.equal(readObserverState(paths.state)?.pending, null);
  });

  test('an unreadable state is refused rather than guessed', async () => {
    await stop();
    writeFileSync(paths.state, '{"v":1,"seq":"x"}');
    assert.throws(() => start(), { code: 'VIW_E_INTERNAL' });
  });
});
