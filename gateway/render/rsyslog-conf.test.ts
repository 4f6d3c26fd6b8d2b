// The SIEM forwarder's rsyslogd.conf: what it says, that no setting can inject RainerScript, that the
// real rsyslogd accepts it (`rsyslogd -N1`), and that a real rsyslogd started with it (through the
// node's service manager) speaks what the SIEM expects: TLS 1.3 only, the node's client certificate,
// RFC 5425 octet-counted frames of RFC 5424 messages tagged per source — and refuses a receiver
// whose certificate names another host.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type { GatewaySiemSettings } from '../../core/gateway/control.js';
import { run } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { createEndEntity, createIntermediate, createRoot, type Issuer } from '../../server/pki/issue.js';
import { generateEcKeyPair, privateKeyToPem } from '../../server/pki/keys.js';
import { days, PROFILES } from '../../server/pki/profiles.js';
import { SIEM_CLIENT_PROFILE } from '../../server/services/gateways/node-config.js';
import { observerPaths } from '../observe/observer-paths.js';
import { serviceManager } from '../services/service-manager.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { forwarderPaths, fwknopdLogIn } from './node-facts.js';
import { renderRsyslogConf, SIEM_APP_NAMES } from './rsyslog-conf.js';
import { directives, sampleFacts } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const SIEM_NAME = 'siem.lab.viworks.test';
const siem = (over: Partial<GatewaySiemSettings> = {}): GatewaySiemSettings => ({
  host: SIEM_NAME,
  port: 6514,
  server_name: SIEM_NAME,
  queue_max_bytes: 256 * 1024 * 1024,
  ...over,
});
const local = { stateDir: '/var/lib/viworks-gw', auditLog: '/var/log/viworks-gw/audit.log' };
const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

describe('renderRsyslogConf', () => {
  const conf = renderRsyslogConf(siem(), sampleFacts('/etc/viworks'), local);
  const has = (line: string) => assert.ok(conf.includes(line), `missing: ${line}`);

  test('deterministic, behind the header', () => {
    assert.equal(conf.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderRsyslogConf(siem(), sampleFacts('/etc/viworks'), local), conf);
  });

  test('forwards over TLS 1.3 with x509/name against the SIEM name, mutual, RFC 5425 framing', () => {
    has('target="siem.lab.viworks.test" port="6514" protocol="tcp"');
    has('TCP_Framing="octet-counted" template="viworks_rfc5424"');
    has('StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"');
    has('StreamDriverPermittedPeers="siem.lab.viworks.test"');
    has('StreamDriver.CheckExtendedKeyPurpose="on"');
    has('StreamDriver.CAFile="/var/lib/viworks-gw/siem/siem-ca.pem"');
    has('StreamDriver.CertFile="/var/lib/viworks-gw/siem/client-chain.pem"');
    has('StreamDriver.KeyFile="/var/lib/viworks-gw/siem/client-key.pem"');
    has('gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3"');
    has(
      'string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%"',
    );
  });

  test('a disk-assisted queue in the node state dir that retries for ever and is saved at shutdown', () => {
    has(
      'queue.type="LinkedList" queue.filename="viworks_siem" queue.spoolDirectory="/var/lib/viworks-gw/siem/work"',
    );
    has('queue.maxDiskSpace="268435456" queue.saveOnShutdown="on"');
    has('action.resumeRetryCount="-1"');
    has('workDirectory="/var/lib/viworks-gw/siem/work"');
  });

  test('reads the audit log from its start and each daemon log from now on, tagged per source', () => {
    has('File="/var/log/viworks-gw/audit.log" Tag="viworks-gw" ruleset="viworks_siem"');
    has('File="/var/lib/viworks-gw/fwknopd.log" Tag="fwknopd"');
    has('File="/etc/viworks/stunnel.log" Tag="stunnel"');
    has('File="/etc/viworks/openvpn.log" Tag="openvpn"');
    has('File="/var/lib/viworks-gw/front-door-hellos.jsonl" Tag="viworks-hello"');
    has('File="/var/lib/viworks-gw/viewer-access.jsonl" Tag="viworks-viewer"');
    has('File="/var/lib/viworks-gw/observe/dataplane.jsonl" Tag="viworks-dataplane"');
    const inputs = conf.split('input(').slice(1);
    assert.equal(inputs.length, 7);
    // The audit trail and the normalized events: security records, every line from the file's start.
    for (const i of [inputs[0], inputs[6]])
      assert.match(i ?? '', /Facility="authpriv" Severity="notice"[\s\S]*freshStartTail="off"/);
    for (const i of inputs.slice(1, 6))
      assert.match(i, /Facility="daemon" Severity="info"[\s\S]*freshStartTail="on"/);
    for (const i of inputs) assert.match(i, /reopenOnTruncate="on" addMetadata="off"/);
  });

  test('a node-owned instance: no local syslog socket or kernel log, nothing of the system rsyslog', () => {
    const modules = [...conf.matchAll(/module\(load="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(modules, ['imfile']);
    const statements = directives(conf).join('\n');
    assert.doesNotMatch(
      statements,
      /imuxsock|imklog|imjournal|\/etc\/rsyslog|\/run\/rsyslogd\.pid|\/var\/spool\/rsyslog/,
    );
    // Every path in it is under the node's state dir or one of the logs it reads.
    const paths = [...statements.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1] ?? '');
    const logs = ['/var/log/viworks-gw/audit.log', '/etc/viworks/stunnel.log', '/etc/viworks/openvpn.log'];
    for (const p of paths) assert.ok(p.startsWith('/var/lib/viworks-gw/') || logs.includes(p), p);
  });

  test('refuses every value that could end a string or add a statement, naming the setting only', () => {
    const facts = sampleFacts('/etc/viworks');
    const bad: [string, () => string][] = [
      ['host quote', () => renderRsyslogConf(siem({ host: 'a" target="evil' }), facts, local)],
      ['host newline', () => renderRsyslogConf(siem({ host: 'siem\naction(type="omfile")' }), facts, local)],
      ['host space', () => renderRsyslogConf(siem({ host: 'siem example' }), facts, local)],
      ['name wildcard', () => renderRsyslogConf(siem({ server_name: '*.example.test' }), facts, local)],
      ['name quote', () => renderRsyslogConf(siem({ server_name: 'x"' }), facts, local)],
      ['port 0', () => renderRsyslogConf(siem({ port: 0 }), facts, local)],
      ['port 65536', () => renderRsyslogConf(siem({ port: 65536 }), facts, local)],
      ['tiny queue', () => renderRsyslogConf(siem({ queue_max_bytes: 1024 }), facts, local)],
      [
        'extra field',
        () => renderRsyslogConf({ ...siem(), template: 'x' } as GatewaySiemSettings, facts, local),
      ],
      ['state dir', () => renderRsyslogConf(siem(), facts, { ...local, stateDir: '/var/lib/x"y' })],
      ['audit log', () => renderRsyslogConf(siem(), facts, { ...local, auditLog: '/var/log/a}\nb' })],
      [
        'audit log wildcard',
        () => renderRsyslogConf(siem(), facts, { ...local, auditLog: '/var/log/*.log' }),
      ],
      [
        'stunnel log',
        () =>
          renderRsyslogConf(siem(), { ...facts, paths: { ...facts.paths, stunnelLog: '/etc/$x' } }, local),
      ],
    ];
    for (const [what, render] of bad) {
      try {
        render();
        assert.fail(`${what}: accepted`);
      } catch (e) {
        assert.ok(isConfigError(e), `${what}: ${String(e)}`);
        assert.doesNotMatch(JSON.stringify(e.toBody()), /evil|omfile|\$x|x"y/, what);
      }
    }
    // The edges of what is allowed: IPv4 and IPv6 targets.
    assert.match(renderRsyslogConf(siem({ host: '192.0.2.7' }), facts, local), /target="192\.0\.2\.7"/);
    assert.match(renderRsyslogConf(siem({ host: '2001:db8::7' }), facts, local), /target="2001:db8::7"/);
  });
});

const peers = needPeers({ binaries: [RSYSLOGD], apt: 'rsyslog rsyslog-gnutls' });

describe('rsyslogd -N1 (the real config check)', { skip: peers.skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-rsyslog-conf-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('accepts the rendered config', async () => {
    const stateDir = join(dir, 'state');
    mkdirSync(forwarderPaths(stateDir).workDir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'rsyslogd.conf');
    writeFileSync(
      file,
      renderRsyslogConf(siem(), sampleFacts(dir), { stateDir, auditLog: join(dir, 'a.log') }),
    );
    const r = await run([RSYSLOGD, '-N1', '-f', file], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /End of config validation run/);
    assert.doesNotMatch(r.stderr, /error|not known|ignored/i);
  });

  test('positive control: it refuses a config with an unknown parameter', async () => {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, 'action(type="omfwd" target="127.0.0.1" StreamDriverMode="1" injected="1")\n');
    const r = await run([RSYSLOGD, '-N1', '-f', file], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /'injected' not known/);
  });
});

// ---- a real forwarder against a TLS 1.3 receiver that records what arrives -------------------------

interface Pem {
  readonly certPem: string;
  readonly keyPem: string;
}

async function testPki() {
  const rootKeys = await generateEcKeyPair();
  const root: Issuer = { cert: await createRoot('SIEM Test Root', rootKeys, 2), keys: rootKeys };
  const intKeys = await generateEcKeyPair();
  const int: Issuer = {
    cert: await createIntermediate(root, 'SIEM Test int-tls', intKeys.publicKey, 2),
    keys: intKeys,
  };
  const pem = (c: { toString(f: 'pem'): string }) => `${c.toString('pem').trimEnd()}\n`;
  const issue = async (commonName: string, server: boolean): Promise<Pem> => {
    const keys = await generateEcKeyPair();
    const profile = server ? PROFILES['tls-gateway'] : SIEM_CLIENT_PROFILE;
    const names = server ? { commonName, dns: [commonName] } : { commonName };
    const cert = await createEndEntity(int, profile, names, keys.publicKey, days(1));
    // Leaf + intermediate: the peer trusts the root only.
    return { certPem: pem(cert) + pem(int.cert), keyPem: await privateKeyToPem(keys.privateKey) };
  };
  return { rootPem: pem(root.cert), issue };
}

interface Frame {
  readonly declared: number;
  readonly message: string;
}

/** A TLS server that records each session's protocol, client certificate and octet-counted frames. */
class RecordingReceiver {
  readonly frames: Frame[] = [];
  readonly sessions: { protocol: string | null; clientSubject: string | undefined }[] = [];
  tlsErrors = 0;
  private constructor(readonly server: Server) {}

  static async start(identity: Pem, caPem: string, maxVersion: 'TLSv1.3' | 'TLSv1.2' = 'TLSv1.3') {
    const server = createServer({
      cert: identity.certPem,
      key: identity.keyPem,
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: maxVersion === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.3',
      maxVersion,
    });
    const r = new RecordingReceiver(server);
    server.on('tlsClientError', () => {
      r.tlsErrors++;
    });
    server.on('secureConnection', (s: TLSSocket) => r.accept(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private accept(s: TLSSocket): void {
    this.sessions.push({ protocol: s.getProtocol(), clientSubject: s.getPeerX509Certificate()?.subject });
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 1) return;
        const declared = Number(buf.subarray(0, sp).toString('latin1'));
        if (buf.length < sp + 1 + declared) return;
        this.frames.push({ declared, message: buf.subarray(sp + 1, sp + 1 + declared).toString('utf8') });
        buf = buf.subarray(sp + 1 + declared);
      }
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ok()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const RFC5424_RE = /^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d \S+ (\S+) - - - (.*)$/s;

describe('a real rsyslogd run by the node (direct mode) with the rendered config', {
  skip: peers.skip,
  timeout: 120_000,
}, () => {
  let fx: NodeConfigFixture | undefined;
  const receivers: RecordingReceiver[] = [];
  let pki: Awaited<ReturnType<typeof testPki>>;

  before(async () => {
    fx = createNodeConfig();
    pki = await testPki();
  });
  after(async () => {
    if (fx) await serviceManager(fx.config).stop('rsyslog');
    for (const r of receivers) await r.close();
    if (fx) rmSync(fx.root, { recursive: true, force: true });
  });

  /** Writes what apply_config would (config + credentials, 0600) and (re)starts the forwarder. */
  async function runForwarder(receiver: RecordingReceiver, serverName = SIEM_NAME): Promise<void> {
    const config = fx!.config;
    const p = forwarderPaths(config.state_dir);
    mkdirSync(p.workDir, { recursive: true, mode: 0o700 });
    const client = await pki.issue('viworks-node-under-test', false);
    writeFileSync(p.caFile, pki.rootPem, { mode: 0o600 });
    writeFileSync(p.certFile, client.certPem, { mode: 0o600 });
    writeFileSync(p.keyFile, client.keyPem, { mode: 0o600 });
    const settings = siem({ host: '127.0.0.1', port: receiver.port, server_name: serverName });
    const local = { stateDir: config.state_dir, auditLog: config.audit_log };
    writeFileSync(p.conf, renderRsyslogConf(settings, config.facts, local), { mode: 0o600 });
    await serviceManager(config).restart('rsyslog');
  }

  test("TLS 1.3, the client certificate, octet-counted RFC 5424 frames with each source's app-name", async () => {
    const config = fx!.config;
    const receiver = await RecordingReceiver.start(await pki.issue(SIEM_NAME, true), pki.rootPem);
    receivers.push(receiver);
    // Written before the forwarder's first start: the audit line must still go, the stunnel one not.
    mkdirSync(join(fx!.root, 'log'), { recursive: true });
    appendFileSync(config.audit_log, '{"seq":1,"verb":"health","before":"start"}\n');
    appendFileSync(config.facts.paths.stunnelLog, 'old stunnel line\n');
    // The normalizer starts with the forwarder and may write first: its lines go from the start.
    const events = observerPaths(config.state_dir).out;
    mkdirSync(join(config.state_dir, 'observe'), { recursive: true, mode: 0o700 });
    appendFileSync(events, '{"seq":1,"action":"tls.handshake"}\n');
    await runForwarder(receiver);
    const pid = serviceManager(config).pid('rsyslog');
    assert.ok(pid, 'the forwarder runs (pid file + /proc comm)');

    appendFileSync(config.audit_log, '{"seq":2,"verb":"health","after":"start"}\n');
    appendFileSync(config.facts.paths.stunnelLog, 'new stunnel line\n');
    appendFileSync(config.facts.paths.openvpnLog, 'openvpn line\n');
    appendFileSync(fwknopdLogIn(config.state_dir), 'fwknopd line\n');
    await until('six messages', () => receiver.frames.length >= 6);
    await sleep(500);

    const parsed = receiver.frames.map((f) => {
      assert.equal(Buffer.byteLength(f.message), f.declared, 'octet count = message length');
      const m = RFC5424_RE.exec(f.message);
      assert.ok(m, `not RFC 5424: ${f.message}`);
      return { pri: Number(m[1]), app: m[2], msg: m[3] };
    });
    const byMsg = new Map(parsed.map((p) => [p.msg, p]));
    assert.deepEqual(byMsg.get('{"seq":1,"verb":"health","before":"start"}'), {
      pri: 10 * 8 + 5,
      app: SIEM_APP_NAMES.audit,
      msg: '{"seq":1,"verb":"health","before":"start"}',
    });
    assert.equal(byMsg.get('{"seq":2,"verb":"health","after":"start"}')?.app, 'viworks-gw');
    assert.deepEqual(byMsg.get('new stunnel line'), {
      pri: 3 * 8 + 6,
      app: 'stunnel',
      msg: 'new stunnel line',
    });
    assert.equal(byMsg.get('openvpn line')?.app, 'openvpn');
    assert.equal(byMsg.get('fwknopd line')?.app, 'fwknopd');
    assert.deepEqual(byMsg.get('{"seq":1,"action":"tls.handshake"}'), {
      pri: 10 * 8 + 5,
      app: SIEM_APP_NAMES.dataplane,
      msg: '{"seq":1,"action":"tls.handshake"}',
    });
    assert.equal(byMsg.has('old stunnel line'), false, 'daemon logs are read from the forwarder start on');
    assert.equal(parsed.length, 6, 'each line once');
    assert.ok(receiver.sessions.length >= 1);
    for (const s of receiver.sessions) {
      assert.equal(s.protocol, 'TLSv1.3');
      assert.match(s.clientSubject ?? '', /CN=viworks-node-under-test/);
    }
  });

  test('refuses a receiver that offers only TLS 1.2, and one whose certificate names another host', async () => {
    const config = fx!.config;
    const tls12 = await RecordingReceiver.start(await pki.issue(SIEM_NAME, true), pki.rootPem, 'TLSv1.2');
    const impostor = await RecordingReceiver.start(
      await pki.issue('other.lab.viworks.test', true),
      pki.rootPem,
    );
    receivers.push(tls12, impostor);
    for (const receiver of [tls12, impostor]) {
      await runForwarder(receiver);
      appendFileSync(config.audit_log, `{"seq":3,"verb":"health","to":"${receiver.port}"}\n`);
      // It tries (the receiver sees handshakes) and delivers nothing.
      await until('a refused handshake', () => receiver.tlsErrors > 0 || receiver.sessions.length > 0);
      await sleep(1500);
      assert.equal(receiver.frames.length, 0, `nothing delivered to port ${receiver.port}`);
    }
    assert.equal(tls12.sessions.length, 0, 'no TLS 1.2 session was ever established');
  });

  test('stop() ends the forwarder', async () => {
    const manager = serviceManager(fx!.config);
    const pid = manager.pid('rsyslog');
    assert.ok(pid);
    await manager.stop('rsyslog');
    assert.equal(manager.pid('rsyslog'), null);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
