// The data-plane events from the real daemons: viworks-gw (as sshd runs it) applies its config in a
// namespace lab, so fwknopd, stunnel and OpenVPN run exactly as rendered; real SPA packets, a TLS 1.2
// ClientHello, a plain HTTP request and a real OpenVPN client through stunnel then leave their lines,
// which `pull_logs <source> <max> <cursor>` returns and the core parsers turn into the facts the
// backend audits (docs/detections.md#data-plane-events).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewaySettings } from '../core/gateway/control.js';
import { type DataplanePullResult, dataplanePullResult } from '../core/gateway/dataplane/cursor.js';
import { createParser, type DataplaneFact, type DataplaneSource } from '../core/gateway/dataplane/index.js';
import { encodeSpa } from '../core/spa/encode.js';
import { listNamespaces, NetnsPair, type NsProcess } from '../scripts/testkit/netns.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { fwknopdLog } from './services/service-paths.js';
import { type ApplyBundle, applyBundle, callGw } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';

const OPENSSL = '/usr/bin/openssl';
const SOCAT = '/usr/bin/socat';
const OPENVPN = '/usr/sbin/openvpn';
const peers = needPeers({
  binaries: [
    '/usr/sbin/fwknopd',
    '/usr/bin/stunnel4',
    OPENVPN,
    '/usr/sbin/iptables',
    '/usr/sbin/nft',
    '/usr/sbin/ip',
    OPENSSL,
    SOCAT,
    '/usr/bin/tcpdump',
  ],
  root: true,
  apt: 'fwknop-server stunnel4 openvpn iptables nftables iproute2 openssl socat tcpdump',
});

const SPA_PORT = 62201;
const TLS_PORT = 443;
const RELAY_PORT = 11940;
const HTTP_JS = `const s=require('net').connect({host:process.argv[1],port:+process.argv[2]},()=>s.write('GET / HTTP/1.0\\r\\n\\r\\n'));
s.on('error',()=>{});s.on('close',()=>process.exit(0));setTimeout(()=>process.exit(0),3000);`;

interface Device {
  readonly id: string;
  readonly encKey: Buffer;
  readonly hmacKey: Buffer;
}
const device = (first: string): Device => ({
  id: `d-${first}${randomBytes(16).toString('hex').slice(1)}`,
  encKey: randomBytes(32),
  hmacKey: randomBytes(64),
});

describe('data-plane log lines from the real daemons', { skip: peers.skip, timeout: 240_000 }, () => {
  let lab: NetnsPair | undefined;
  let fx: NodeConfigFixture | undefined;
  let bundle: ApplyBundle;
  let dir = '';
  const started: NsProcess[] = [];
  const cursors: Partial<Record<DataplaneSource, string>> = {};
  const parsers = {
    fwknopd: createParser('fwknopd'),
    stunnel: createParser('stunnel'),
    openvpn: createParser('openvpn'),
  };
  const [devA, devB] = [device('0'), device('f')];

  const gw = (command: string, stdin?: unknown) => callGw(lab!, lab!.gw, fx!.path, command, stdin);
  const packet = (d: Device, username = d.id) =>
    encodeSpa({
      encKey: d.encKey,
      hmacKey: d.hmacKey,
      username,
      accessIp: lab!.cl.address,
      accessPorts: [{ proto: 'tcp', port: TLS_PORT }],
    });
  const send = (p: string | Uint8Array) => lab!.sendUdp(lab!.cl, lab!.gw.address, SPA_PORT, p);
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  async function waitFor(path: string, re: RegExp, times: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((read(path).match(new RegExp(re.source, `${re.flags}g`)) ?? []).length >= times) return;
      await sleep(100);
    }
    assert.fail(`${path} never showed ${re} ${times}x:\n${read(path).slice(-3000)}`);
  }
  const count = (path: string, re: RegExp) =>
    (read(path).match(new RegExp(re.source, `${re.flags}g`)) ?? []).length;

  /** Pulls one source forward and parses it as the backend does (fwknopd stanzas resolved). */
  async function pull(
    source: DataplaneSource,
  ): Promise<{ facts: DataplaneFact[]; named: (string | null)[]; page: DataplanePullResult }> {
    const { reply, exit } = await gw(`pull_logs ${source} 2000 ${cursors[source] ?? 'end'}`);
    assert.equal(exit, 0, JSON.stringify(reply));
    const page = dataplanePullResult.parse(reply.result);
    cursors[source] = page.next_cursor;
    const facts: DataplaneFact[] = [];
    const named: (string | null)[] = [];
    const st = page.stanzas;
    const ctxAt = (i: number) => ({ stanzaCount: st && i >= st.from_line ? st.count : null });
    const take = (fs: DataplaneFact[], i: number) => {
      for (const f of fs) {
        facts.push(f);
        named.push(
          st && i >= st.from_line && f.stanza !== null ? (st.users[String(f.stanza)] ?? null) : null,
        );
      }
    };
    for (const [i, l] of page.lines.entries()) take(parsers[source].parse(l, ctxAt(i)), i);
    if (page.eof) take(parsers[source].flush(ctxAt(page.lines.length - 1)), page.lines.length - 1);
    return { facts, named, page };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-dataplane-lab-'));
    lab = await NetnsPair.create();
    fx = createNodeConfig({ spaInterface: lab.gw.ifname, listenAddress: lab.gw.address });
    const settings: GatewaySettings = {
      fqdn: 'gw.lab.viworks.test',
      tls_port: TLS_PORT,
      spa_port: SPA_PORT,
      fw_access_timeout_s: 20,
      vpn_network: `10.97.${randomBytes(1)[0]}.0/24`,
      push_routes: [],
      push_dns: [],
      redirect_gateway: false,
      backend_cidrs: ['10.0.0.0/8'],
    };
    bundle = await applyBundle(settings);
    const applied = await gw('apply_config', bundle.input);
    assert.equal(applied.exit, 0, `${JSON.stringify(applied.reply)}\n${applied.raw.stderr}`);
    for (const d of [devA, devB]) {
      const keys = { key_base64: d.encKey.toString('base64'), hmac_key_base64: d.hmacKey.toString('base64') };
      assert.equal((await gw(`spa_key_add ${d.id}`, keys)).exit, 0);
    }
    await waitFor(fwknopdLog(fx.config), /main event loop/, 2);
    // A gateway the backend starts to follow: from the current end of each log.
    for (const s of ['fwknopd', 'stunnel', 'openvpn'] as const) {
      const first = await pull(s);
      assert.deepEqual(first.page.lines, [], `${s}: the start replayed old lines`);
    }
  });

  after(async () => {
    for (const p of started) await p.stop();
    const names = lab ? [lab.gw.ns, lab.cl.ns] : [];
    if (process.env.VIW_GW_DEBUG === '1' && fx) {
      console.error(
        read(fwknopdLog(fx.config)),
        read(fx.config.facts.paths.stunnelLog),
        read(fx.config.facts.paths.openvpnLog),
      );
    }
    await lab?.destroy();
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(
      (await listNamespaces()).filter((n) => names.includes(n)),
      [],
      'namespaces left behind',
    );
  });

  test('SPA: each accepted packet names its device; replays, garbage and a borrowed name are refused', async () => {
    const log = fwknopdLog(fx!.config);
    const before = count(log, /SPA Packet from IP: |Replay detected/);
    const a = packet(devA);
    await send(a);
    await send(a); // the same bytes again: a replay
    // In the same second fwknopd would find A's rule (same source, port and expiry) already open
    // and add none, silently: B's packet goes a second later so its rule is a new one.
    await sleep(1100);
    await send(packet(devB)); // stanza #2: A's stanza refuses it first
    await send(randomBytes(120).toString('base64'));
    await send(packet(devB, devA.id)); // B's keys under A's name
    // 1 + replay + 2 + 2 + 2 packet lines (a try per stanza until one answers).
    await waitFor(log, /SPA Packet from IP: |Replay detected/, before + 8);
    await waitFor(log, /does not match required username/, 1);
    const { facts, named } = await pull('fwknopd');
    const client = lab!.cl.address;
    assert.deepEqual(
      facts.map((f, i) => [f.action, f.srcIp, f.stanza, named[i], f.reason]),
      [
        ['spa.accepted', client, 1, devA.id, null],
        ['spa.replayed', client, null, null, 'digest already seen (replay)'],
        ['spa.accepted', client, 2, devB.id, null],
        ['spa.rejected', client, null, null, 'no enrolled key authenticates it (HMAC)'],
        ['spa.rejected', client, 2, devB.id, "username is not the keys' device"],
      ],
    );
  });

  test('TLS: a TLS 1.2 ClientHello and a plain HTTP request fail at stunnel, each with its reason', async () => {
    const log = fx!.config.facts.paths.stunnelLog;
    const before = count(log, /Connection (reset|closed)/);
    const rules = count(fwknopdLog(fx!.config), /Added access rule/);
    await send(packet(devA));
    await waitFor(fwknopdLog(fx!.config), /Added access rule/, rules + 1);
    const tls12 = await lab!.exec(
      lab!.cl,
      [OPENSSL, 's_client', '-connect', `${lab!.gw.address}:${TLS_PORT}`, '-tls1_2'],
      {
        input: '',
        timeoutMs: 8000,
      },
    );
    assert.notEqual(tls12.code, 0, 'a TLS 1.2 handshake succeeded');
    await lab!.exec(lab!.cl, [process.execPath, '-e', HTTP_JS, lab!.gw.address, String(TLS_PORT)], {
      timeoutMs: 8000,
    });
    await waitFor(log, /Connection (reset|closed)/, before + 2);
    const { facts } = await pull('stunnel');
    assert.deepEqual(
      facts.map((f) => [f.action, f.result, f.srcIp, f.reason]),
      [
        ['tls.handshake', 'failure', lab!.cl.address, 'TLS handshake failed: unsupported protocol'],
        ['tls.handshake', 'failure', lab!.cl.address, 'TLS handshake failed: http request'],
      ],
    );
    await pull('fwknopd'); // the knock, consumed
  });

  test('OpenVPN: a session connects through stunnel and its disconnect carries bytes and duration', async () => {
    const session = `s-${randomBytes(16).toString('hex')}`;
    const expires = Math.floor(Date.now() / 1000) + 3600;
    assert.equal((await gw(`vpn_user_create ${session}`, { push_routes: [], expires_at: expires })).exit, 0);
    const cred = await bundle.ca.issue(session);
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text, { mode: 0o600 });
      return p;
    };
    const cert = file('client.pem', cred.certPem);
    const key = file('client.key', cred.keyPem);
    const config = file(
      'client.ovpn',
      [
        'client',
        'dev tun',
        'proto tcp-client',
        `remote 127.0.0.1 ${RELAY_PORT}`,
        'nobind',
        'route-noexec',
        'ifconfig-noexec',
        `ca ${file('ca.pem', bundle.ca.caPem)}`,
        `cert ${cert}`,
        `key ${key}`,
        `tls-crypt ${file('tls-crypt.key', bundle.tlsCryptKey)}`,
        'remote-cert-tls server',
        'data-ciphers AES-256-GCM',
        'verb 3',
        '',
      ].join('\n'),
    );
    const rules = count(fwknopdLog(fx!.config), /Added access rule/);
    await send(packet(devA));
    await waitFor(fwknopdLog(fx!.config), /Added access rule/, rules + 1);
    // The client's TLS layer (the daemon's proxy in production): socat with the session certificate.
    const relay = lab!.spawn(lab!.cl, 'socat', [
      SOCAT,
      `TCP-LISTEN:${RELAY_PORT},bind=127.0.0.1,reuseaddr`,
      `OPENSSL:${lab!.gw.address}:${TLS_PORT},cert=${cert},key=${key},verify=0`,
    ]);
    started.push(relay);
    await sleep(300);
    const client = lab!.spawn(lab!.cl, 'openvpn-client', [OPENVPN, '--config', config]);
    started.push(client);
    assert.ok(await client.waitFor(/Initialization Sequence Completed/, 30_000), client.output.slice(-3000));
    await sleep(1500);
    await client.stop();
    await relay.stop();
    await waitFor(fx!.config.facts.paths.openvpnLog, /^viworks-ovpn-disconnect /m, 1);
    const tls = (await pull('stunnel')).facts;
    const vpn = (await pull('openvpn')).facts;
    assert.equal(tls.length, 1, JSON.stringify(tls));
    const [hello] = tls;
    assert.deepEqual(
      [hello?.action, hello?.result, hello?.srcIp, hello?.proto, hello?.sessionWireId],
      ['tls.handshake', 'success', lab!.cl.address, 'TLSv1.3', session],
    );
    assert.deepEqual(
      vpn.map((f) => [f.action, f.sessionWireId, f.relayPort]),
      [
        ['ovpn.connect', session, hello?.relayPort],
        ['ovpn.disconnect', session, hello?.relayPort],
      ],
    );
    const [connect, disconnect] = vpn;
    assert.match(connect?.virtualIp ?? '', /^10\.97\.[0-9]+\.[0-9]+$/);
    assert.equal(disconnect?.virtualIp, connect?.virtualIp);
    assert.ok(
      (disconnect?.bytesIn ?? 0) > 1000 && (disconnect?.bytesOut ?? 0) > 1000,
      JSON.stringify(disconnect),
    );
    assert.ok((disconnect?.durationMs ?? -1) >= 1000, JSON.stringify(disconnect));
  });
});
