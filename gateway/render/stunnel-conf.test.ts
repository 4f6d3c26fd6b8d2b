import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type Credential, createTestCa } from '../../scripts/testkit/openvpn-server.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { freePort } from '../../scripts/testkit/ports.js';
import { createGatewayTlsFixture, type GatewayTlsFixture } from '../../scripts/testkit/stunnel.js';
import { buildCrl } from '../../server/pki/crl.js';
import { renderStunnelConf } from './stunnel-conf.js';
import { directives, sampleFacts, sampleSettings, writePrivate } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const STUNNEL = '/usr/bin/stunnel4';
const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

describe('renderStunnelConf', () => {
  const out = renderStunnelConf(sampleSettings(), sampleFacts('/etc/viworks'));

  test('header, determinism, and the front-door directives', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderStunnelConf(sampleSettings(), sampleFacts('/etc/viworks')), out);
    const d = directives(out);
    for (const line of [
      'foreground = no',
      'pid = /etc/viworks/stunnel.pid',
      'output = /etc/viworks/stunnel.log',
      'setuid = stunnel4',
      'setgid = stunnel4',
      '[viworks_tls]',
      'accept = 192.0.2.10:443',
      'connect = 127.0.0.1:1194',
      'sslVersionMin = TLSv1.3',
      'sslVersionMax = TLSv1.3',
      'ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
      'cert = /etc/viworks/stunnel-chain.pem',
      'key = /etc/viworks/stunnel-key.pem',
      'verifyChain = yes',
      'requireCert = yes',
      'CAfile = /etc/viworks/client-ca.pem',
      'CRLfile = /etc/viworks/crl.pem',
      'options = NO_RENEGOTIATION',
      'debug = notice',
    ]) {
      assert.ok(d.includes(line), `missing ${line}`);
    }
  });

  test('no setuid/setgid when the node keeps stunnel as root', () => {
    const d = directives(renderStunnelConf(sampleSettings(), sampleFacts(undefined, { stunnelUser: null })));
    assert.ok(!d.some((l) => l.startsWith('setuid') || l.startsWith('setgid')));
  });

  test('refuses injection through the listen address, a path or the port', () => {
    const f = sampleFacts();
    assert.throws(
      () => renderStunnelConf(sampleSettings(), { ...f, listenAddress: '0.0.0.0:443\nverify = 0' }),
      isConfigError,
    );
    assert.throws(
      () => renderStunnelConf(sampleSettings(), { ...f, paths: { ...f.paths, crl: '/x\nverifyChain = no' } }),
      isConfigError,
    );
    assert.throws(() => renderStunnelConf(sampleSettings({ tls_port: 70000 }), f), isConfigError);
    assert.throws(
      () => renderStunnelConf(sampleSettings(), { ...f, stunnelUser: { user: 'root\nfoo', group: 'x' } }),
      isConfigError,
    );
  });
});

const peers = needPeers({ binaries: [STUNNEL], apt: 'stunnel4' });

/** One TLS 1.3 attempt through stunnel: 'open' only when the backend's greeting came through. */
function attempt(
  port: number,
  gw: GatewayTlsFixture,
  client: Credential | null,
  maxVersion: 'TLSv1.3' | 'TLSv1.2' = 'TLSv1.3',
): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: gw.fqdn,
      ca: gw.caPem,
      maxVersion,
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    });
    const done = (r: string) => {
      s.destroy();
      resolve(r);
    };
    s.on('data', (b) => done(String(b).startsWith('viworks') ? 'open' : `data:${b}`));
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
    s.on('close', () => done('closed'));
  });
}

describe('real stunnel 5.68 runs the rendered config', { skip: peers.skip, timeout: 60_000 }, () => {
  let dir = '';
  let backend: Server | undefined;
  let pid: number | undefined;
  let port = 0;
  let gw: GatewayTlsFixture;
  let good: Credential;
  let revoked: Credential;
  let stranger: Credential;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-stunnel-'));
    gw = await createGatewayTlsFixture();
    const ca = await createTestCa();
    good = await ca.issue(`s-${'1'.repeat(32)}`);
    revoked = await ca.issue(`s-${'2'.repeat(32)}`);
    stranger = await (await createTestCa('Stranger')).issue(`s-${'3'.repeat(32)}`);
    const serial = new X509Certificate(revoked.certPem).serialNumber.toLowerCase();
    const now = new Date(Date.now() - 60_000);
    const crl = await buildCrl(ca.intVpn, [{ serial, revokedAt: now, reason: 'keyCompromise' }], 1n, now);

    backend = createServer((s) => {
      s.on('error', () => {});
      s.end('viworks\n');
    });
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', r));
    const backendPort = (backend.address() as { port: number }).port;
    port = await freePort();
    const facts = sampleFacts(dir, {
      listenAddress: '127.0.0.1',
      openvpnPort: backendPort,
      stunnelUser: null,
    });
    const p = facts.paths;
    writePrivate(p.stunnelCert, gw.primary.chainPem);
    writePrivate(p.stunnelKey, gw.primary.keyPem);
    writePrivate(p.clientCa, ca.caPem);
    writePrivate(p.crl, crl);
    writePrivate(p.stunnelConf, renderStunnelConf(sampleSettings({ tls_port: port }), facts));
    // foreground = no: stunnel binds, daemonizes, and the parent exits 0; the pid file names the
    // daemon. stdio is not piped: the daemon must not keep this process waiting on inherited pipes.
    const parent = spawn(STUNNEL, [p.stunnelConf], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => parent.once('exit', r));
    assert.equal(code, 0, `stunnel refused the config; log:\n${readLog()}`);
    for (let i = 0; i < 200 && pid === undefined; i++) {
      pid = readPid();
      if (pid === undefined) await sleep(50);
    }
    assert.ok(pid, `no pid file; log:\n${readLog()}`);
  });

  const readPid = (): number | undefined => {
    try {
      const n = Number(readFileSync(join(dir, 'stunnel.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 1 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  const readLog = () => {
    try {
      return readFileSync(join(dir, 'stunnel.log'), 'utf8');
    } catch {
      return '';
    }
  };
  // The client sees the refusal before stunnel has written why: wait for the line (CI caught it).
  const logMatches = async (pattern: RegExp) => {
    const deadline = Date.now() + 5000;
    while (!pattern.test(readLog()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.match(readLog(), pattern);
  };

  after(async () => {
    if (process.env.VIW_RENDER_DEBUG === '1') console.error(readLog());
    // Even when start-up failed half-way, the daemon this test started is named by its pid file.
    pid ??= readPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a TLS 1.3 client with a certificate from the CA gets through to the backend', async () => {
    assert.equal(await attempt(port, gw, good), 'open', readLog());
  });

  test('a client without a certificate is refused', async () => {
    assert.notEqual(await attempt(port, gw, null), 'open');
    await logMatches(/peer did not return a certificate/);
  });

  test('a revoked certificate (CRL) and one from another CA are refused', async () => {
    assert.notEqual(await attempt(port, gw, revoked), 'open');
    assert.notEqual(await attempt(port, gw, stranger), 'open');
    await logMatches(/Pre-verification error: certificate revoked/);
    await logMatches(/Pre-verification error: unable to get local issuer certificate/);
  });

  test('a TLS 1.2 client is refused even with a good certificate', async () => {
    assert.notEqual(await attempt(port, gw, good, 'TLSv1.2'), 'open');
    await logMatches(/unsupported protocol/);
  });
});
