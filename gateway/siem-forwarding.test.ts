// A gateway node ships its logs to the SIEM: the backend's own code builds the siem section (its
// int-tls issues the node's client certificate, its siem.syslog names the receiver and its CA), the
// node applies it through the dispatcher (viworks-gw apply_config, direct mode, in a lab namespace
// with the real fwknopd, stunnel and OpenVPN), and its rsyslogd forwards viworks-gw's audit lines to a
// real rsyslogd receiver over mutual TLS. Then: the receiver goes away, requests keep coming, the
// receiver comes back → every audit line arrives (the disk-assisted queue held them); a receiver whose
// certificate names another host gets nothing; removing the siem section stops the forwarder.
// Beside it runs the node's data-plane normalizer (viworks-gw-observe): real fwknopd, stunnel and
// OpenVPN lines (the captured fixtures) written into the running daemons' logs reach the SIEM as
// normalized audit events (app-name viworks-dataplane) with the device behind the SPA stanza and the
// TLS peer behind OpenVPN's relay; a restart of the normalizer loses and repeats nothing; a rotated
// log is followed.
//
// The receiver (scripts/testkit/rsyslog.ts) runs on the host's loopback, the node in its namespace:
// a byte relay joins them (TCP in the namespace → a unix socket → TCP on the host). TLS runs end to
// end through it, so both rsyslogds still authenticate each other.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AuditEvent, parseAuditEvent } from '../core/audit/event.js';
import type { ApplyConfigInput, GatewaySettings } from '../core/gateway/control.js';
import { listNamespaces, NetnsPair } from '../scripts/testkit/netns.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { needRsyslog, type RsyslogReceiver, startRsyslogReceiver } from '../scripts/testkit/rsyslog.js';
import { loadOrCreatePki } from '../server/pki/embedded-pki.js';
import { createEndEntity, createRoot, type Issuer } from '../server/pki/issue.js';
import { generateEcKeyPair, privateKeyToPem } from '../server/pki/keys.js';
import { days, PROFILES } from '../server/pki/profiles.js';
import { siemSectionFor } from '../server/services/gateways/node-config.js';
import { frontDoorHelloLog } from './front-door/paths.js';
import { OBSERVER_COMM, OBSERVER_SERVICE, observerPaths } from './observe/observer-paths.js';
import { forwarderPaths } from './render/node-facts.js';
import { readPidFile } from './services/process-check.js';
import { fwknopdLog, pidFileOf } from './services/service-paths.js';
import { FIREFOX_FIELDS, firefoxHelloLine } from './testing/firefox-hello.js';
import { applyBundle, callGw } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';

const daemons = needPeers({
  binaries: [
    '/usr/sbin/fwknopd',
    '/usr/bin/stunnel4',
    '/usr/sbin/openvpn',
    '/usr/sbin/iptables',
    '/usr/sbin/nft',
    '/usr/bin/tcpdump',
  ],
  root: true,
  apt: 'fwknop-server stunnel4 openvpn iptables nftables tcpdump',
});
const rsyslog = needRsyslog({ root: true });
const skip = daemons.skip ?? rsyslog.skip;

const SIEM_NAME = 'siem.lab.viworks.test';
const IMPOSTOR_NAME = 'impostor.lab.viworks.test';
/** Where the node sends (inside its namespace): the relay's listening end. */
const SIEM_PORT = 6514;

/** Copies bytes both ways; either end closing or failing closes the other. */
function splice(a: Socket, b: Socket): void {
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
  a.pipe(b);
  b.pipe(a);
}

const NS_RELAY_JS = `const net=require('net');const [,port,sock]=process.argv;
net.createServer(c=>{const u=net.connect(sock);const end=()=>{c.destroy();u.destroy()};
for(const s of [c,u]){s.on('error',end);s.on('close',end)}c.pipe(u);u.pipe(c)})
.listen(+port,'127.0.0.1',()=>console.log('relay ready'));`;

/** The SIEM's own PKI (not ours): one CA, a certificate for its name and one for another name. */
async function siemPki(dir: string) {
  const keys = await generateEcKeyPair();
  const ca: Issuer = { cert: await createRoot('SIEM Vendor CA', keys, 2), keys };
  const caFile = join(dir, 'siem-ca.pem');
  // As operators' bundles often are: a comment and CRLF line ends (the backend normalizes them).
  writeFileSync(caFile, `# SIEM vendor CA\r\n${ca.cert.toString('pem').replace(/\n/g, '\r\n')}`, {
    mode: 0o600,
  });
  const server = async (name: string) => {
    const k = await generateEcKeyPair();
    const cert = await createEndEntity(
      ca,
      PROFILES['tls-gateway'],
      { commonName: name, dns: [name] },
      k.publicKey,
      days(1),
    );
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    writeFileSync(certFile, cert.toString('pem'), { mode: 0o600 });
    writeFileSync(keyFile, await privateKeyToPem(k.privateKey), { mode: 0o600 });
    return { certFile, keyFile };
  };
  return { caFile, genuine: await server(SIEM_NAME), impostor: await server(IMPOSTOR_NAME) };
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+): the receivers stop and restart on
 * their port, and in between another test's freePort() (an ephemeral port) must not be able to take it.
 */
async function quietPort(): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 30_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The captured lines of a real daemon (core/gateway/dataplane/fixtures). */
const fixture = (name: string) =>
  readFileSync(new URL(`../core/gateway/dataplane/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(0, -1);
// fwknopd-netns.log's devices: A at stanza 1, B at stanza 2 (access.conf is sorted by device id).
const DEVICE_A = 'd-0536c629b6cfff0ff7e567f605fdfd2d';
const DEVICE_B = 'd-f4bac902c5dd490ba040b0ad22ac2932';
const SESSION_1 = '01a23e9e-74a4-766f-8e72-31d368e1d11b';
const DATAPLANE_RE = /^<\d+>1 \S+ \S+ viworks-dataplane - - - (\{.*\})$/;
type DataplaneLine = AuditEvent & { seq: number };

const seqOf = (line: string): number | null => {
  const m = /"seq":([0-9]+),/.exec(line);
  return m ? Number(m[1]) : null;
};

async function until(
  what: string,
  ok: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await sleep(250);
  }
  assert.fail(`timed out waiting for ${what}${explain() ? `:\n${explain().slice(-4000)}` : ''}`);
}

describe('a gateway node forwards its audit log to the SIEM over mutual TLS', {
  skip,
  timeout: 420_000,
}, () => {
  let lab: NetnsPair | undefined;
  let fx: NodeConfigFixture | undefined;
  let work = '';
  let relay: Server | undefined;
  let relayTarget = 0;
  const receivers: RsyslogReceiver[] = [];
  let receiver: RsyslogReceiver;
  let startReceiver: (name: 'genuine' | 'impostor') => Promise<RsyslogReceiver>;
  let withSiem: ApplyConfigInput;
  let withoutSiem: ApplyConfigInput;
  let forwarderPid: number | null = null;

  const gw = (command: string, stdin?: unknown) => callGw(lab!, lab!.gw, fx!.path, command, stdin);
  const auditSeqs = () =>
    readFileSync(fx!.config.audit_log, 'utf8')
      .split('\n')
      .map(seqOf)
      .filter((s): s is number => s !== null);
  /** Audit seqs the receiver got (RFC 5424 with app-name viworks-gw), duplicates included. */
  const receivedSeqs = async (r: RsyslogReceiver) =>
    (await r.messages())
      .filter((l) => / viworks-gw - - - \{/.test(l))
      .map(seqOf)
      .filter((s): s is number => s !== null);
  const missing = async (r: RsyslogReceiver) => {
    const got = new Set(await receivedSeqs(r));
    return auditSeqs().filter((s) => !got.has(s));
  };
  /** The normalized data-plane events the receiver got, in arrival order, duplicates included. */
  const dataplaneAt = async (r: RsyslogReceiver): Promise<DataplaneLine[]> =>
    (await r.messages()).flatMap((line) => {
      const m = DATAPLANE_RE.exec(line);
      if (!m) return [];
      const { seq, ...event } = JSON.parse(m[1] ?? '') as DataplaneLine;
      return [{ seq, ...parseAuditEvent(event) }];
    });
  const dataplaneAtLeast = async (n: number): Promise<DataplaneLine[]> => {
    const out = () => readFileSync(observerPaths(fx!.config.state_dir).ownLog, 'utf8');
    await until(
      `${n} data-plane events at the SIEM`,
      async () => (await dataplaneAt(receiver)).length >= n,
      60_000,
      out,
    );
    // Anything beyond n would be a duplicate or an invention: give it the time to show.
    await sleep(2000);
    return dataplaneAt(receiver);
  };
  const appendLines = (path: string, lines: readonly string[]) =>
    appendFileSync(path, `${lines.join('\n')}\n`);
  const observerPid = () => readPidFile(pidFileOf(fx!.config, OBSERVER_SERVICE));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'viw-siem-fwd-'));
    lab = await NetnsPair.create();
    fx = createNodeConfig({ spaInterface: lab.gw.ifname, listenAddress: lab.gw.address });

    // The backend: its PKI and its siem.syslog configuration, as config.json would give them.
    const dataDir = join(work, 'backend');
    const pki = await loadOrCreatePki(dataDir, { commonName: 'backend-api', dns: ['localhost'] });
    const vendor = await siemPki(work);
    const settings: GatewaySettings = {
      fqdn: 'gw.lab.viworks.test',
      tls_port: 443,
      spa_port: 62201,
      fw_access_timeout_s: 20,
      vpn_network: `10.97.${randomBytes(1)[0]}.0/24`,
      push_routes: ['10.20.0.0/16'],
      push_dns: ['10.0.0.53'],
      redirect_gateway: true,
      backend_cidrs: ['10.0.0.0/8'],
    };
    const bundle = await applyBundle(settings);
    const syslog = {
      host: '127.0.0.1',
      port: SIEM_PORT,
      serverName: SIEM_NAME,
      caFile: vendor.caFile,
      certFile: join(work, 'unused-backend-client.pem'),
      keyFile: join(work, 'unused-backend-client.key'),
    };
    const section = await siemSectionFor(
      { pki, dataDir, siem: { syslog, spoolMaxBytes: 16 * 1024 * 1024 } },
      { name: 'lab', fqdn: settings.fqdn },
    );
    assert.ok(section, 'siem.syslog configured → a siem section');
    const doc = (s: GatewaySettings, m: ApplyConfigInput['material']): ApplyConfigInput => ({
      config_id: createHash('sha256').update(JSON.stringify({ s, m })).digest('hex'),
      settings: s,
      material: m,
    });
    withSiem = doc(
      { ...settings, siem: section.settings },
      { ...bundle.input.material, siem: section.material },
    );
    withoutSiem = doc(settings, bundle.input.material);

    // The SIEM: a real rsyslogd that trusts our root and permits this node by its FQDN.
    const rootFile = join(work, 'viworks-root.pem');
    writeFileSync(rootFile, pki.rootPem, { mode: 0o600 });
    startReceiver = async (name: 'genuine' | 'impostor') => {
      const r = await startRsyslogReceiver({
        dir: mkdtempSync(join(work, `${name}-`)),
        caFile: rootFile,
        ...vendor[name],
        permittedPeers: [settings.fqdn],
        port: await quietPort(),
      });
      receivers.push(r);
      return r;
    };
    receiver = await startReceiver('genuine');
    relayTarget = receiver.port;

    const sock = join(work, 'relay.sock');
    relay = createServer((c) => splice(c, connect(relayTarget, '127.0.0.1')));
    await new Promise<void>((resolve) => relay!.listen(sock, resolve));
    const nsRelay = lab.spawn(lab.gw, 'relay', [
      process.execPath,
      '-e',
      NS_RELAY_JS,
      String(SIEM_PORT),
      sock,
    ]);
    assert.ok(await nsRelay.waitFor(/relay ready/, 10_000), nsRelay.output);
  });

  after(async () => {
    const names = lab ? [lab.gw.ns, lab.cl.ns] : [];
    if (process.env.VIW_GW_DEBUG === '1' && fx) {
      const own = forwarderPaths(fx.config.state_dir).ownLog;
      if (existsSync(own)) console.error(readFileSync(own, 'utf8'));
      for (const r of receivers) console.error(r.output());
    }
    for (const r of receivers) await r.stop();
    // destroy() ends every process left in the namespaces (the daemons and the forwarder included).
    await lab?.destroy();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
    assert.deepEqual(
      (await listNamespaces()).filter((n) => names.includes(n)),
      [],
      'namespaces left behind',
    );
  });

  test('apply_config with a siem section starts the forwarder; audit lines reach the SIEM', async () => {
    const r = await gw('apply_config', withSiem);
    assert.equal(r.reply.ok, true, JSON.stringify(r.reply.error));
    const result = r.reply.result as { restarted: string[]; services: Record<string, boolean> };
    assert.ok(result.restarted.includes('rsyslog'), JSON.stringify(result));
    assert.equal(result.services.rsyslog, true);
    // The normalizer starts with it, under its own name.
    assert.ok(result.restarted.includes(OBSERVER_SERVICE), JSON.stringify(result));
    assert.equal(result.services[OBSERVER_SERVICE], true);
    const observer = observerPid();
    assert.ok(observer, 'the normalizer writes its pid file');
    assert.equal(readFileSync(`/proc/${observer}/comm`, 'utf8').trim(), OBSERVER_COMM);
    const o = observerPaths(fx!.config.state_dir);
    assert.equal(statSync(o.dir).mode & 0o777, 0o700);
    assert.equal(statSync(o.conf).mode & 0o777, 0o600);
    forwarderPid = readPidFile(pidFileOf(fx!.config, 'rsyslog'));
    assert.ok(forwarderPid, 'the forwarder writes its pid file');
    const files = forwarderPaths(fx!.config.state_dir);
    for (const f of ['caFile', 'certFile', 'keyFile', 'conf'] as const) {
      assert.equal(statSync(files[f]).mode & 0o777, 0o600, f);
    }
    for (const d of ['dir', 'workDir'] as const) assert.equal(statSync(files[d]).mode & 0o777, 0o700, d);
    // The same document again: nothing restarted.
    const again = await gw('apply_config', withSiem);
    assert.equal(again.reply.changed, false);
    assert.deepEqual((again.reply.result as { restarted: string[] }).restarted, []);
    assert.equal(readPidFile(pidFileOf(fx!.config, 'rsyslog')), forwarderPid);
    assert.equal(observerPid(), observer);
    const h = (await gw('health')).reply;
    assert.equal(h.ok, true, JSON.stringify(h.error));
    const services = (h.result as { services: Record<string, { running: boolean; pid: number | null }> })
      .services;
    assert.deepEqual(services[OBSERVER_SERVICE], { running: true, pid: observer });

    for (let i = 0; i < 3; i++) assert.equal((await gw('health')).reply.ok, true);
    await until('every audit line at the SIEM', async () => (await missing(receiver)).length === 0);
    const lines = await receiver.messages();
    assert.ok(
      lines.every((l) => /^<\d+>1 \S+ \S+ \S+ - - - /.test(l)),
      'RFC 5424 as sent',
    );
  });

  test('real daemon lines become normalized events at the SIEM (viworks-dataplane)', async () => {
    // Two devices' SPA keys, through the real verb: access.conf gets their stanzas, fwknopd reloads.
    for (const device of [DEVICE_A, DEVICE_B]) {
      const r = await gw(`spa_key_add ${device}`, {
        key_base64: randomBytes(32).toString('base64'),
        hmac_key_base64: randomBytes(64).toString('base64'),
      });
      assert.equal(r.reply.ok, true, JSON.stringify(r.reply.error));
    }
    const fwknopd = fixture('fwknopd-netns.log');
    // A and B's packets up to the reload (after it access.conf named a third device).
    const packets = fwknopd.slice(
      fwknopd.findIndex((l) => l.startsWith('(stanza #1) SPA Packet')),
      fwknopd.indexOf('Gracefully leaving the fwknopd event loop.'),
    );
    appendLines(fwknopdLog(fx!.config), packets);
    // The front door saw the tunnel's ClientHello (written as the capture writes it, before stunnel
    // logs the handshake's end); the TLS 1.2 client's was not seen.
    appendLines(frontDoorHelloLog(fx!.config), [firefoxHelloLine(36746)]);
    // One tunnel (stunnel relays it to OpenVPN on loopback port 44408) and one TLS 1.2 client.
    const stunnel = fixture('stunnel-lab.log');
    appendLines(fx!.config.facts.paths.stunnelLog, stunnel.slice(8, 15));
    const openvpn = fixture('openvpn-lab.log');
    appendLines(fx!.config.facts.paths.openvpnLog, [...openvpn.slice(31, 64), ...openvpn.slice(140, 143)]);

    const events = await dataplaneAtLeast(11);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'numbered from 1, each once',
    );
    for (const e of events) assert.deepEqual([e.component, e.gateway], ['gateway', 'gw.lab.viworks.test']);
    const spa = events.filter((e) => e.action.startsWith('spa.'));
    assert.deepEqual(
      spa.map((e) => [e.action, e.src_ip, e.dst_port, e.fwknop_id]),
      [
        ['spa.accepted', '10.213.95.2', 443, DEVICE_A],
        ['spa.replayed', '10.213.95.2', null, null],
        ['spa.accepted', '10.213.95.2', 443, DEVICE_B],
        ['spa.rejected', '10.213.95.2', null, null],
        ['spa.rejected', '10.213.95.2', null, DEVICE_B],
        ['spa.rejected', '10.213.95.2', null, DEVICE_A],
        ['spa.rejected', '10.213.95.2', null, null],
      ],
    );
    const rest = events.filter((e) => !e.action.startsWith('spa.'));
    // stunnel and OpenVPN print the node's local time (the normalizer shares this machine's zone);
    // the disconnect hook prints Unix seconds.
    const local = (h: number, m: number, s: number) => new Date(2026, 11, 4, h, m, s).toISOString();
    assert.deepEqual(
      rest.map((e) => [e.action, e.result, e.src_ip, e.src_port, e.session_id, e.timestamp]),
      [
        ['tls.handshake', 'success', '10.231.12.2', 36746, SESSION_1, local(1, 15, 5)],
        ['tls.handshake', 'failure', '10.231.12.2', 55026, null, local(1, 15, 38)],
        // The TLS peer, not stunnel's loopback relay.
        ['ovpn.connect', 'success', '10.231.12.2', 36746, SESSION_1, local(1, 15, 5)],
        [
          'ovpn.disconnect',
          'success',
          '10.231.12.2',
          36746,
          SESSION_1,
          new Date((1796346905 + 70) * 1000).toISOString(),
        ],
      ],
    );
    assert.equal(rest[1]?.error_msg, 'TLS handshake failed: unsupported protocol');
    assert.deepEqual([rest[0]?.tls_ja3, rest[0]?.tls_ja4], [FIREFOX_FIELDS.tls_ja3, FIREFOX_FIELDS.tls_ja4]);
    assert.deepEqual([rest[1]?.tls_ja3, rest[1]?.tls_ja4], [null, undefined], 'no hello, no fingerprints');
    assert.deepEqual(
      [rest[3]?.ovpn_virtual_ip, rest[3]?.bytes_in, rest[3]?.bytes_out, rest[3]?.duration_ms],
      ['10.232.12.2', 3037, 2976, 70_000],
    );
    // What the SIEM got is what the node wrote.
    const written = readFileSync(observerPaths(fx!.config.state_dir).out, 'utf8').split('\n').slice(0, -1);
    assert.deepEqual(
      events.map((e) => e.seq),
      written.map((l) => (JSON.parse(l) as { seq: number }).seq),
    );
  });

  test('the normalizer restarts: no line is lost or read twice', async () => {
    const before = (await dataplaneAt(receiver)).length;
    const pid = observerPid();
    assert.ok(pid);
    process.kill(pid, 'SIGTERM');
    await until('the normalizer to stop', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // Written while it is down.
    const fwknopd = fixture('fwknopd-netns.log');
    const first = fwknopd.findIndex((l) => l.startsWith('(stanza #1) SPA Packet'));
    appendLines(fwknopdLog(fx!.config), fwknopd.slice(first, first + 2));
    appendLines(fx!.config.facts.paths.stunnelLog, fixture('stunnel-lab.log').slice(15, 18));
    // apply_config brings a service that is down back up.
    const r = await gw('apply_config', withSiem);
    assert.equal(r.reply.ok, true, JSON.stringify(r.reply.error));
    assert.deepEqual((r.reply.result as { restarted: string[] }).restarted, [OBSERVER_SERVICE]);
    assert.notEqual(observerPid(), pid);
    const events = await dataplaneAtLeast(before + 2);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'no gap, no repeat',
    );
    assert.deepEqual(
      events.slice(before).map((e) => [e.action, e.fwknop_id, e.error_msg]),
      [
        ['spa.accepted', DEVICE_A, null],
        ['tls.handshake', null, 'TLS handshake failed: http request'],
      ],
    );
  });

  test('a rotated daemon log is followed: the rest of the old file, then the new one', async () => {
    const before = (await dataplaneAt(receiver)).length;
    const log = fx!.config.facts.paths.stunnelLog;
    renameSync(log, `${log}.1`);
    const refused = (port: number) => [
      `2026.12.04 05:00:00 LOG5[9${port}]: Service [viworks_tls] accepted connection from 192.0.2.9:${port}`,
      `2026.12.04 05:00:00 LOG3[9${port}]: SSL_accept: x.c:1: error:0A00009C:SSL routines::http request`,
    ];
    // The daemon writes on into the renamed file until it reopens its log.
    appendLines(`${log}.1`, refused(40001));
    appendLines(log, refused(40002));
    const events = await dataplaneAtLeast(before + 2);
    assert.deepEqual(
      events.slice(before).map((e) => [e.seq, e.src_port]),
      [
        [before + 1, 40001],
        [before + 2, 40002],
      ],
    );
  });

  test('the SIEM goes away, requests go on, it comes back: every line arrives', async (t) => {
    await receiver.stop();
    const before = auditSeqs().length;
    for (let i = 0; i < 4; i++) assert.equal((await gw('health')).reply.ok, true);
    assert.ok(auditSeqs().length >= before + 4);
    // Give the forwarder time to notice and queue (and retry) while nothing listens.
    await sleep(3000);
    assert.equal(readPidFile(pidFileOf(fx!.config, 'rsyslog')), forwarderPid, 'no restart meanwhile');
    const back = Date.now();
    await receiver.restart();
    await until('the queued lines', async () => (await missing(receiver)).length === 0, 90_000);
    const got = await receivedSeqs(receiver);
    t.diagnostic(
      `all ${auditSeqs().length} audit lines delivered ${Date.now() - back} ms after the SIEM came back; ` +
        `${got.length - new Set(got).size} duplicates`,
    );
  });

  test('a receiver whose certificate names another host gets nothing; the lines wait for the SIEM', async () => {
    await receiver.stop();
    const impostor = await startReceiver('impostor');
    relayTarget = impostor.port;
    for (let i = 0; i < 2; i++) assert.equal((await gw('health')).reply.ok, true);
    // The node connects, sees a certificate for another name and hangs up, again and again.
    const ownLog = forwarderPaths(fx!.config.state_dir).ownLog;
    const forwarderLog = () => readFileSync(ownLog, 'utf8');
    await until(
      'the forwarder refusing the peer',
      () => /peer name not authorized.*impostor\.lab\.viworks\.test/s.test(forwarderLog()),
      60_000,
      forwarderLog,
    );
    await sleep(6000);
    assert.match(impostor.output(), /non-properly terminated|closed due to error/, 'it did try');
    assert.deepEqual(await impostor.messages(), [], 'nothing delivered to the impostor');
    await impostor.stop();
    relayTarget = receiver.port;
    await receiver.restart();
    await until(
      'the held lines at the real SIEM',
      async () => (await missing(receiver)).length === 0,
      90_000,
    );
  });

  test('apply_config without the siem section stops the forwarder and removes its files', async () => {
    const observer = observerPid();
    assert.ok(observer);
    const r = await gw('apply_config', withoutSiem);
    assert.equal(r.reply.ok, true, JSON.stringify(r.reply.error));
    const result = r.reply.result as { stopped: string[]; services: Record<string, boolean> };
    assert.deepEqual(result.stopped, ['rsyslog', OBSERVER_SERVICE]);
    assert.equal('rsyslog' in result.services, false);
    assert.equal(OBSERVER_SERVICE in result.services, false);
    assert.ok(forwarderPid);
    assert.throws(() => process.kill(forwarderPid!, 0), /ESRCH/, 'the forwarder process is gone');
    assert.throws(() => process.kill(observer, 0), /ESRCH/, 'the normalizer process is gone');
    assert.equal(existsSync(forwarderPaths(fx!.config.state_dir).dir), false, 'key, CA, queue removed');
    assert.equal(existsSync(observerPaths(fx!.config.state_dir).dir), false, 'cursors and events removed');
    const again = await gw('apply_config', withoutSiem);
    assert.equal(again.reply.changed, false);
    assert.deepEqual((again.reply.result as { stopped: string[] }).stopped, []);
  });
});
