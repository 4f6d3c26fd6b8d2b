// The three parsers over real daemon logs (fixtures/README.md says how each was captured): every
// SOC-relevant step of the fixture yields exactly its fact, in order, and nothing else does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FwknopdParser, stanzasToName } from './fwknopd.js';
import { createParser, type DataplaneFact, type DataplaneSource, dataplaneFact } from './index.js';
import { DISCONNECT_HOOK_TAG, OpenVpnParser } from './openvpn.js';
import { StunnelParser } from './stunnel.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(0, -1);

function run(source: DataplaneSource, lines: readonly string[]): DataplaneFact[] {
  const parser = createParser(source);
  const out = lines.flatMap((l) => parser.parse(l));
  return [...out, ...parser.flush()];
}

/** One fact as a short line: what the tests compare. */
function brief(f: DataplaneFact): string {
  const parts: string[] = [f.action, f.result];
  if (f.srcIp !== null) parts.push(`${f.srcIp}${f.srcPort !== null ? `:${f.srcPort}` : ''}`);
  if (f.stanza !== null) parts.push(`#${f.stanza}`);
  if (f.dstPort !== null) parts.push(`${f.proto}/${f.dstPort}`);
  else if (f.proto !== null) parts.push(f.proto);
  if (f.grantedIp !== null) parts.push(`for ${f.grantedIp}`);
  if (f.sessionWireId !== null) parts.push(f.sessionWireId.slice(0, 10));
  if (f.virtualIp !== null) parts.push(`vip ${f.virtualIp}`);
  if (f.relayPort !== null) parts.push(`relay ${f.relayPort}`);
  if (f.bytesIn !== null) parts.push(`in ${f.bytesIn} out ${f.bytesOut}`);
  if (f.durationMs !== null) parts.push(`${f.durationMs} ms`);
  if (f.reason !== null) parts.push(`(${f.reason})`);
  return parts.join(' ');
}

function assertValid(facts: readonly DataplaneFact[]): void {
  for (const f of facts) assert.ok(dataplaneFact.check(f), JSON.stringify(f));
}

const ACCEPT = 'spa.accepted success 10.231.12.2 #1 tcp/443';

describe('fwknopd', () => {
  test('the lab log: accepted, replayed, refused for each reason, opened for another address', () => {
    const facts = run('fwknopd', fixture('fwknopd-lab.log'));
    assertValid(facts);
    assert.deepEqual(facts.map(brief), [
      ACCEPT, // the demo's connect
      ACCEPT, // the lab's own knock
      ACCEPT, // the packet that is then replayed
      'spa.replayed denied 10.231.12.2 (digest already seen (replay))',
      'spa.rejected denied 10.231.12.2 (no enrolled key authenticates it (HMAC))',
      'spa.rejected denied 10.231.12.2 #1 (packet time off by 3600 s (clock skew or an old capture))',
      "spa.rejected denied 10.231.12.2 #1 (username is not the keys' device)",
      'spa.rejected denied 10.231.12.2 #1 (requested port not allowed)',
      // the 5-byte datagram left no line at all; then one knock before each TLS probe
      ...Array(11).fill(ACCEPT),
      'spa.accepted success 10.231.12.2 #1 tcp/443 for 10.231.12.99',
      ACCEPT, // the demo's reconnect
      ACCEPT, // a knock by hand after the fixture's scenario
    ]);
  });

  test('two, then three stanzas: each accepted packet names its stanza; a reload renumbers them', () => {
    const facts = run('fwknopd', fixture('fwknopd-netns.log'));
    assertValid(facts);
    assert.deepEqual(facts.map(brief), [
      'spa.accepted success 10.213.95.2 #1 tcp/443',
      'spa.replayed denied 10.213.95.2 (digest already seen (replay))',
      'spa.accepted success 10.213.95.2 #2 tcp/443',
      'spa.rejected denied 10.213.95.2 (no enrolled key authenticates it (HMAC))',
      // B's keys (stanza 2) under A's name: the HMAC passed at stanza 2, so the keys are B's.
      "spa.rejected denied 10.213.95.2 #2 (username is not the keys' device)",
      'spa.rejected denied 10.213.95.2 #1 (packet time off by 1000 s (clock skew or an old capture))',
      'spa.rejected denied 10.213.95.2 (no enrolled key authenticates it (HMAC))',
      'spa.accepted success 10.213.95.2 #3 tcp/443',
      'spa.accepted success 10.213.95.2 #2 (access rule already open (no new rule))',
    ]);
  });

  test('stanzasToName asks only for stanzas that authenticated a packet', () => {
    assert.deepEqual(stanzasToName(fixture('fwknopd-netns.log')), [1, 2, 3]);
    // A flood of packets no key authenticates names nothing, however many stanzas it walked.
    const garbage = fixture('fwknopd-netns.log').slice(13, 17);
    assert.match(garbage.join('\n'), /HMAC_COMPAREFAIL[\s\S]*HMAC_COMPAREFAIL/);
    assert.deepEqual(stanzasToName(garbage), []);
  });

  test('with the stanza count known, a packet refused by the last stanza is reported at once', () => {
    const lines = fixture('fwknopd-netns.log').slice(13, 17); // random bytes, two stanzas
    const p = new FwknopdParser();
    const ctx = { stanzaCount: 2 };
    assert.deepEqual(p.parse(lines[0] ?? '', ctx), []);
    assert.deepEqual(p.parse(lines[1] ?? '', ctx), []);
    assert.deepEqual(p.parse(lines[2] ?? '', ctx), []);
    assert.deepEqual(p.parse(lines[3] ?? '', ctx).map(brief), [
      'spa.rejected denied 10.213.95.2 (no enrolled key authenticates it (HMAC))',
    ]);
    // Without the count it waits for the end of the pull (flush) or the next packet.
    const q = new FwknopdParser();
    assert.deepEqual(
      lines.flatMap((l) => q.parse(l)),
      [],
    );
    assert.equal(q.flush().length, 1);
  });

  test('a pull that ends in the middle of a packet keeps it for the next pull', () => {
    const lines = fixture('fwknopd-netns.log');
    const start = lines.findIndex((l) => l.includes('(stanza #3)')) - 4; // B after the reload
    const p = new FwknopdParser();
    const ctx = { stanzaCount: 3 };
    // First pull: stanzas 1 and 2 refused it; stanza 3 is still to come.
    assert.deepEqual(
      lines.slice(start, start + 4).flatMap((l) => p.parse(l, ctx)),
      [],
    );
    assert.deepEqual(p.flush(ctx), [], 'flushed a packet that stanza 3 had not tried yet');
    const rest = lines.slice(start + 4, start + 6).flatMap((l) => p.parse(l, ctx));
    assert.deepEqual(rest.map(brief), ['spa.accepted success 10.213.95.2 #3 tcp/443']);
  });

  test('a line from another source or a restart ends the packet before it', () => {
    const p = new FwknopdParser();
    p.parse('(stanza #1) SPA Packet from IP: 192.0.2.7 received with access source match');
    p.parse('[192.0.2.7] (stanza #1) Access stanza has expired');
    const facts = p.parse('(stanza #1) SPA Packet from IP: 192.0.2.8 received with access source match');
    assert.deepEqual(facts.map(brief), ['spa.rejected denied 192.0.2.7 (access stanza expired)']);
    // 192.0.2.8's try was never refused and no rule was added: the rule was open already.
    assert.deepEqual(p.parse('Got SIGHUP. Re-reading configs.').map(brief), [
      'spa.accepted success 192.0.2.8 #1 (access rule already open (no new rule))',
    ]);
    assert.deepEqual(p.parse('Starting fwknopd main event loop.'), []);
  });
});

describe('stunnel', () => {
  test('the lab log: handshakes that worked, and why the others failed', () => {
    const facts = run('stunnel', fixture('stunnel-lab.log'));
    assertValid(facts);
    const cert =
      'TLS handshake failed: certificate verify failed; client certificate rejected (CERT, depth 0)';
    assert.deepEqual(facts.map(brief), [
      'tls.handshake success 10.231.12.2:36746 TLSv1.3 s-01a23e9e relay 44408 0 ms',
      'tls.handshake failure 10.231.12.2:55026 0 ms (TLS handshake failed: unsupported protocol)',
      'tls.handshake failure 10.231.12.2:55028 0 ms (TLS handshake failed: http request)',
      'tls.handshake failure 10.231.12.2:46880 0 ms (TLS handshake failed: peer did not return a certificate)',
      `tls.handshake failure 10.231.12.2:46894 0 ms (${cert})`,
      'tls.handshake failure 10.231.12.2:46906 0 ms (TLS handshake failed: peer did not return a certificate)',
      'tls.handshake failure 10.231.12.2:34144 2000 ms (TLS handshake failed: unexpected eof while reading)',
      `tls.handshake failure 10.231.12.2:34152 0 ms (${cert})`,
      `tls.handshake failure 10.231.12.2:34154 0 ms (${cert})`,
      'tls.handshake success 10.231.12.2:47742 TLSv1.3 s-b522f005 relay 60070 0 ms',
      'tls.handshake success 10.231.12.2:47744 TLSv1.3 s-b522f005 relay 60076 0 ms',
      'tls.handshake success 10.231.12.2:47752 TLSv1.3 s-b522f005 relay 60092 0 ms',
      'tls.handshake success 10.231.12.2:42092 TLSv1.3 s-01a23e9f relay 34326 0 ms',
    ]);
    assert.equal(facts[0]?.at, '2026-12-04T01:15:05');
  });

  test("a rejected certificate's subject is never read, however it is dressed up", () => {
    const lines = fixture('stunnel-lab.log');
    assert.ok(lines.some((l) => /Rejected by CERT.*SPA Packet from IP: 6\.6\.6\.6.*spa\.accepted/.test(l)));
    const facts = run('stunnel', lines);
    const text = facts.flatMap((f) => Object.values(f)).join(' ');
    for (const planted of [
      '6.6.6.6',
      'spa.accepted',
      's-0123456789abcdef0123456789abcdef',
      '\x1b',
      'LOG5[9]',
    ]) {
      assert.ok(!text.includes(planted), `a field carries ${planted}`);
    }
  });

  test('a connection closed before any handshake error, and one whose start the cursor missed', () => {
    const p = new StunnelParser();
    const t = '2026.12.04 10:00:00';
    p.parse(`${t} LOG5[3]: Service [viworks_tls] accepted connection from 192.0.2.9:40000`);
    const closed = p.parse(
      '2026.12.04 10:00:05 LOG5[3]: Connection reset: 0 byte(s) sent to TLS, 0 byte(s) sent to socket',
    );
    assert.deepEqual(closed.map(brief), [
      'tls.handshake failure 192.0.2.9:40000 5000 ms (TLS handshake failed: closed before the handshake completed)',
    ]);
    // Connection 4 began before this parser's first line: its outcome is not guessed.
    assert.deepEqual(p.parse(`${t} LOG3[4]: SSL_accept: Peer suddenly disconnected`), []);
    // A restart renumbers connections: old state goes.
    p.parse(`${t} LOG5[5]: Service [viworks_tls] accepted connection from 192.0.2.9:40001`);
    p.parse(`${t} LOG5[ui]: stunnel 5.68 on x86_64-pc-linux-gnu platform`);
    assert.deepEqual(p.parse(`${t} LOG3[5]: SSL_accept: Peer suddenly disconnected`), []);
  });

  test('TLS done but OpenVPN down is a successful handshake with the reason', () => {
    const p = new StunnelParser();
    const t = '2026.12.04 10:00:00';
    p.parse(`${t} LOG5[1]: Service [viworks_tls] accepted connection from 192.0.2.9:40000`);
    p.parse(`${t} LOG5[1]: Certificate accepted at depth=0: CN=s-${'a'.repeat(32)}, O=ViWorkS`);
    const f = p.parse(`${t} LOG3[1]: s_connect: connect 127.0.0.1:1194: Connection refused (111)`);
    assert.deepEqual(f.map(brief), [
      `tls.handshake success 192.0.2.9:40000 TLSv1.3 s-aaaaaaaa 0 ms (TLS done but OpenVPN unreachable)`,
    ]);
    assert.deepEqual(p.parse(`${t} LOG3[1]: No more addresses to connect`), []);
  });
});

describe('openvpn', () => {
  test('the lab log: connects, disconnects with bytes and duration, refused clients with the reason', () => {
    const facts = run('openvpn', fixture('openvpn-lab.log'));
    assertValid(facts);
    assert.deepEqual(facts.map(brief), [
      'ovpn.connect success 127.0.0.1:44408 s-01a23e9e vip 10.232.12.2 relay 44408',
      'ovpn.handshake_failed failure 127.0.0.1:60070 s-b522f005 relay 60070 (not authorized on this gateway (no CCD entry))',
      'ovpn.handshake_failed failure 127.0.0.1:60076 relay 60076 (tls-crypt authentication failed (wrong key, or not OpenVPN))',
      'ovpn.handshake_failed failure 127.0.0.1:60092 relay 60092 (not OpenVPN traffic (bad packet length))',
      'ovpn.disconnect success s-01a23e9e vip 10.232.12.2 relay 44408 in 3037 out 2976 70000 ms',
      'ovpn.connect success 127.0.0.1:34326 s-01a23e9f vip 10.232.12.2 relay 34326',
      'ovpn.disconnect success s-01a23e9f vip 10.232.12.2 relay 34326 in 2797 out 2619 11000 ms',
    ]);
  });

  test('the same log without timestamps (systemd runs OpenVPN with --suppress-timestamps)', () => {
    const bare = fixture('openvpn-lab.log').map((l) =>
      l.replace(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /, ''),
    );
    const stamped = run('openvpn', fixture('openvpn-lab.log')).map(brief);
    assert.deepEqual(run('openvpn', bare).map(brief), stamped);
  });

  test('the hook line: empty fields stay in place, a strange CN is dropped, never shifts a number', () => {
    const p = new OpenVpnParser();
    const [a] = p.parse(`${DISCONNECT_HOOK_TAG} 1796346905 70 3037 2976  44408 s-${'b'.repeat(32)}`);
    assert.deepEqual(
      a && brief(a),
      `ovpn.disconnect success s-bbbbbbbb relay 44408 in 3037 out 2976 70000 ms`,
    );
    const [b] = p.parse(
      `${DISCONNECT_HOOK_TAG} 1 2 3 4 10.8.0.9 5 evil 9 9 9 9 10.6.6.6 1 s-${'c'.repeat(32)}`,
    );
    assert.deepEqual(b && brief(b), 'ovpn.disconnect success vip 10.8.0.9 relay 5 in 3 out 4 2000 ms');
    assert.deepEqual(p.parse(` ${DISCONNECT_HOOK_TAG} 1 2 3 4 10.8.0.9 5 s-${'c'.repeat(32)}`), []);
    assert.deepEqual(p.parse(`2026-12-04 01:00:00 ${DISCONNECT_HOOK_TAG} 1 2 3 4 10.8.0.9 5 x`), []);
  });

  test('peer-info text posing as a connect line is ignored', () => {
    const p = new OpenVpnParser();
    const t = '2026-12-04 10:00:00';
    const key = '127.0.0.1:50000';
    p.parse(`${t} TCP connection established with [AF_INET]${key}`);
    const cn = `s-${'d'.repeat(32)}`;
    const forged = `${t} ${key} peer info: UV_X=${cn}/${key} MULTI: primary virtual IP for ${cn}/${key}: 10.8.0.66`;
    assert.deepEqual(p.parse(forged), []);
    // A client OpenVPN never connected ends as a failed handshake, not as a connect.
    const ended = p.parse(`${t} ${key} Connection reset, restarting [0]`);
    assert.deepEqual(ended.map(brief), [
      'ovpn.handshake_failed failure 127.0.0.1:50000 relay 50000 (connection closed before the tunnel was up)',
    ]);
  });
});
