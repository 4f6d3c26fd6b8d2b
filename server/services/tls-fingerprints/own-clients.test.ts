// Our own clients' fingerprints, measured at start: the backend transport by name and by address,
// and the daemon's gateway proxy — whose measured hello must be exactly what the real proxy (its real
// context with a session certificate, dialling through startTlsProxy) sends, or the gateways'
// allowlist would not hold it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readClientHello } from '../../../core/tls/client-hello.js';
import { fingerprintFacts } from '../../../core/tls/fingerprint-facts.js';
import { fingerprintClientHello, type TlsFingerprints } from '../../../core/tls/fingerprints.js';
import { startTlsProxy } from '../../../daemon/datapath/tls-proxy.js';
import { createGatewayTlsFixture } from '../../../scripts/testkit/stunnel.js';
import { loadOrCreatePki } from '../../pki/embedded-pki.js';
import { splitNames } from '../../start.js';
import { ownClientFingerprints } from './own-clients.js';

describe('our own clients’ TLS fingerprints, measured', () => {
  it('by name and by address: TLS 1.3 only, the same lists, SNI the only difference', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-own-fp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const pki = await loadOrCreatePki(dir, splitNames(['localhost', '127.0.0.1']));
    const { fingerprints, missing } = await ownClientFingerprints(pki.rootPem);
    assert.deepEqual(missing, []);
    const [byName, byAddress, proxy] = fingerprints;
    assert.deepEqual(
      fingerprints.map((f) => f.variant),
      ['by name (SNI)', 'by address (no SNI)', 'gateway proxy'],
    );
    // The gateway proxy: TLS 1.3 with SNI, the gateway's two suites (and the renegotiation SCSV).
    assert.match(proxy!.ja4, /^t13d03/);
    assert.equal(proxy!.ja4Raw.split('_')[1], '00ff,1302,1303');
    assert.match(byName!.ja4, /^t13d/);
    assert.match(byAddress!.ja4, /^t13i/);
    // The extension count differs by the SNI extension; both hashes are the same.
    assert.equal(Number(byName!.ja4.slice(6, 8)), Number(byAddress!.ja4.slice(6, 8)) + 1);
    assert.equal(byName!.ja4.slice(10), byAddress!.ja4.slice(10));
    // TLS 1.3 only: supported_versions (43) offers 1.3 alone, so no TLS 1.2 suite is in the list.
    for (const f of fingerprints) {
      assert.match(f.ja3Text, /^771,/);
      assert.ok(f.ja4Raw.includes('_002b,') || f.ja4Raw.includes(',002b,'), 'supported_versions sent');
      const suites = f.ja4Raw.split('_')[1]!.split(',');
      assert.ok(
        suites.every((c) => c.startsWith('13') || c === '00ff'),
        suites.join(','),
      );
      assert.deepEqual(fingerprintFacts(f), { tls_ja3: f.ja3, tls_ja4: f.ja4 }, 'fits the audit schema');
    }
    assert.notEqual(byName!.ja3, byAddress!.ja3);
  });
});

describe('the gateway proxy’s measured fingerprint is the real proxy’s', () => {
  it('startTlsProxy with a session certificate sends exactly the measured hello', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-own-fp-proxy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const pki = await loadOrCreatePki(dir, splitNames(['localhost', '127.0.0.1']));
    const measured = (await ownClientFingerprints(pki.rootPem)).fingerprints.find(
      (f) => f.variant === 'gateway proxy',
    );
    assert.ok(measured);

    const fx = await createGatewayTlsFixture();
    let sent: TlsFingerprints | undefined;
    const gateway = createServer((s) => {
      let bytes = Buffer.alloc(0);
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        const read = readClientHello(bytes);
        if (read.state === 'incomplete') return;
        if (read.state === 'complete') sent = fingerprintClientHello(read.hello);
        s.destroy();
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    t.after(() => gateway.close());
    const proxy = await startTlsProxy({
      gatewayHost: fx.fqdn,
      gatewayAddress: '127.0.0.1',
      gatewayPort: (gateway.address() as { port: number }).port,
      caPem: fx.caPem,
      pins: fx.pins,
      clientCertPem: fx.clients.session.certPem,
      clientKeyPem: fx.clients.session.keyPem,
      connectTimeoutMs: 5000,
    });
    const local = connect({ host: '127.0.0.1', port: proxy.port });
    local.on('error', () => undefined);
    await proxy.ready.catch(() => undefined); // the "gateway" hangs up after the hello
    await proxy.closed;
    local.destroy();
    assert.ok(sent, 'the proxy sent a ClientHello');
    assert.deepEqual([sent.ja3, sent.ja4, sent.ja4Raw], [measured.ja3, measured.ja4, measured.ja4Raw]);
  });
});
