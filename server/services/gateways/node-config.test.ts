// What apply_config carries for log shipping: nothing without siem.syslog; with it, the receiver's
// address and name, its CA bundle (normalized), and the node's own client certificate from int-tls
// (EKU clientAuth, the gateway's FQDN), kept and reused across calls, one per gateway — and a config
// that the node's contract accepts, whose config_id changes with the SIEM section.
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { applyConfigInput } from '../../../core/gateway/control.js';
import type { ServerConfig } from '../../config.js';
import { CrlPublisher } from '../../pki/crl.js';
import { type EmbeddedPki, loadOrCreatePki } from '../../pki/embedded-pki.js';
import { loadGatewayMaterial } from '../../pki/gateway-profile.js';
import { applyConfigFor, siemSectionFor } from './node-config.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
type Syslog = NonNullable<ServerConfig['siem']['syslog']>;

describe('the siem section of apply_config', () => {
  let dir = '';
  let pki: EmbeddedPki;
  let caFile = '';
  let siemCaPem = '';
  const row = { name: 'edge-1', fqdn: 'edge-1.gw.example.test' };
  const syslog = (over: Partial<Syslog> = {}): Syslog => ({
    host: 'siem.example.test',
    port: 6514,
    serverName: null,
    caFile,
    certFile: join(dir, 'backend-client.pem'),
    keyFile: join(dir, 'backend-client.key'),
    ...over,
  });
  const src = (over: Partial<Syslog> = {}, spoolMaxBytes = 256 * 1024 * 1024) => ({
    pki,
    dataDir: dir,
    siem: { syslog: syslog(over), spoolMaxBytes },
  });
  const configError = (detail: RegExp) => (e: unknown) =>
    isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => detail.test(d));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-node-siem-'));
    pki = await loadOrCreatePki(dir, { commonName: 'backend-api', dns: ['localhost'] });
    // Any CA stands in for the SIEM vendor's; written as bundles often are (comment, CRLF).
    siemCaPem = pki.rootPem.trimEnd();
    caFile = join(dir, 'siem-ca.pem');
    writeFileSync(caFile, `# SIEM CA\r\n${siemCaPem.replace(/\n/g, '\r\n')}\r\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('nothing without siem.syslog', async () => {
    assert.equal(await siemSectionFor({ pki, dataDir: dir }, row), null);
    assert.equal(
      await siemSectionFor({ pki, dataDir: dir, siem: { syslog: null, spoolMaxBytes: 1 } }, row),
      null,
    );
  });

  test("the receiver, its CA bundle (LF, certificates only) and the node's own client certificate", async () => {
    const section = await siemSectionFor(src(), row);
    assert.ok(section);
    assert.deepEqual(section.settings, {
      host: 'siem.example.test',
      port: 6514,
      server_name: 'siem.example.test',
      queue_max_bytes: 256 * 1024 * 1024,
    });
    assert.equal(section.material.ca_pem, `${siemCaPem}\n`);
    const [leafPem, intPem] = section.material.cert_pem.split(/(?<=-----END CERTIFICATE-----\n)/);
    const leaf = new X509Certificate(leafPem ?? '');
    const intTls = new X509Certificate(intPem ?? '');
    assert.equal(
      intTls.subject,
      new X509Certificate(pki.intermediates['int-tls'].cert.toString('pem')).subject,
    );
    assert.ok(leaf.checkIssued(intTls) && leaf.verify(intTls.publicKey), 'issued by int-tls');
    assert.deepEqual(leaf.keyUsage, [CLIENT_AUTH], 'a TLS client certificate only');
    assert.equal(leaf.subjectAltName, 'DNS:edge-1.gw.example.test');
    assert.equal(leaf.ca, false);
    assert.ok(
      leaf.checkPrivateKey(createPrivateKey(section.material.key_pem)),
      "the key is the certificate's",
    );
    const validDays = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
    assert.ok(validDays > 170 && validDays <= 180, `valid ${validDays} days`);
  });

  test('kept across calls (same key, same certificate); another gateway gets its own', async () => {
    const a = await siemSectionFor(src(), row);
    const b = await siemSectionFor(src(), row);
    assert.equal(a?.material.key_pem, b?.material.key_pem);
    assert.equal(a?.material.cert_pem, b?.material.cert_pem);
    const other = await siemSectionFor(src(), { name: 'edge-2', fqdn: 'edge-2.gw.example.test' });
    assert.notEqual(other?.material.key_pem, a?.material.key_pem);
  });

  test('serverName wins over host; the queue stays inside the contract bounds', async () => {
    const s = await siemSectionFor(src({ host: '192.0.2.7', serverName: 'siem.example.test' }, 65_536), row);
    assert.equal(s?.settings.host, '192.0.2.7');
    assert.equal(s?.settings.server_name, 'siem.example.test');
    assert.equal(s?.settings.queue_max_bytes, 1024 * 1024);
    const big = await siemSectionFor(src({}, 68_719_476_736), row);
    assert.equal(big?.settings.queue_max_bytes, 64 * 1024 ** 3);
  });

  test('refuses what a node could not use, naming the setting', async () => {
    // An IPv6 address is no name a certificate can be checked against.
    await assert.rejects(
      siemSectionFor(src({ host: '2001:db8::7' }), row),
      configError(/^siem\.syslog\.host/),
    );
    await assert.rejects(siemSectionFor(src({ host: 'a..b' }), row), configError(/^siem\.syslog\.host/));
    await assert.rejects(
      siemSectionFor(src({ caFile: join(dir, 'missing.pem') }), row),
      configError(/^siem\.syslog\.caFile: cannot be read/),
    );
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, '# nothing here\n');
    await assert.rejects(siemSectionFor(src({ caFile: empty }), row), configError(/no PEM certificate/));
    const huge = join(dir, 'huge.pem');
    writeFileSync(huge, 'x'.repeat(65 * 1024));
    await assert.rejects(siemSectionFor(src({ caFile: huge }), row), configError(/larger than/));
  });

  test('applyConfigFor: a document the node accepts, whose config_id covers the SIEM section', async () => {
    const crl = new CrlPublisher(pki, dir, async () => []);
    const defaultGateway = { id: 'x', ...(await loadGatewayMaterial(pki, dir, 'gw.example.test')) };
    const gatewayRow = {
      ...row,
      settings: JSON.stringify({
        vpn_network: '10.8.0.0/24',
        push_routes: [],
        push_dns: [],
        redirect_gateway: true,
        backend_cidrs: ['10.0.0.0/8'],
        fw_access_timeout_s: 15,
      }),
    };
    const base = { pki, dataDir: dir, crl, defaultGateway };
    const withSiem = await applyConfigFor({ ...base, siem: src().siem }, gatewayRow);
    const without = await applyConfigFor(base, gatewayRow);
    assert.ok(applyConfigInput.check(withSiem));
    assert.equal(withSiem.settings.siem?.server_name, 'siem.example.test');
    assert.ok(withSiem.material.siem);
    assert.equal(without.settings.siem, undefined);
    assert.equal(without.material.siem, undefined);
    assert.notEqual(withSiem.config_id, without.config_id);
    assert.equal(
      (await applyConfigFor({ ...base, siem: src().siem }, gatewayRow)).config_id,
      withSiem.config_id,
    );
  });
});
