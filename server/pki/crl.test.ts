import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CrlEntry, CrlPublisher } from './crl.js';
import { type EmbeddedPki, loadOrCreatePki } from './embedded-pki.js';
import { createEndEntity, randomSerial } from './issue.js';
import { generateEcKeyPair } from './keys.js';
import { PROFILES } from './profiles.js';

describe('CRL publisher', () => {
  let dir: string;
  let pki: EmbeddedPki;
  const revoked: CrlEntry[] = [];
  const sources: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-crl-'));
    pki = await loadOrCreatePki(dir, { commonName: 'backend-api', dns: ['localhost'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const publisher = () =>
    new CrlPublisher(pki, dir, async (issuer) => {
      sources.push(issuer);
      return issuer === pki.intermediates['int-vpn'].cert.subject ? revoked : [];
    });

  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };

  it('writes one signed CRL per intermediate, 0600, with growing CRL numbers', async () => {
    const crl = publisher();
    await crl.publishAll();
    for (const name of ['int-tls', 'int-vpn', 'int-device'] as const) {
      const path = join(dir, 'pki', `${name}.crl`);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(readFileSync(path, 'utf8'), crl.pem(name));
      writeFileSync(join(dir, `${name}.pem`), pki.intermediates[name].cert.toString('pem'));
      const out = openssl(['crl', '-in', path, '-CAfile', join(dir, `${name}.pem`), '-noout', '-text']);
      assert.match(out, /verify OK/, name);
      assert.match(out, /X509v3 CRL Number:\s*\n\s*1\b/);
      assert.match(out, /Next Update/);
      assert.match(out, /No Revoked Certificates/);
    }
    await crl.publish('int-vpn');
    const text = openssl(['crl', '-in', join(dir, 'pki', 'int-vpn.crl'), '-noout', '-text']);
    assert.match(text, /X509v3 CRL Number:\s*\n\s*2\b/);
    // A new publisher (a restart) continues the numbering.
    await publisher().publish('int-vpn');
    assert.match(
      openssl(['crl', '-in', join(dir, 'pki', 'int-vpn.crl'), '-noout', '-text']),
      /Number:\s*\n\s*3\b/,
    );
  });

  it('lists revoked serials, and openssl -crl_check refuses exactly those', async () => {
    const issuer = pki.intermediates['int-vpn'];
    const make = async (serial: string) => {
      const { publicKey } = await generateEcKeyPair();
      const cert = await createEndEntity(
        issuer,
        PROFILES['vpn-client'],
        { commonName: `s-${serial.slice(0, 8)}` },
        publicKey,
        3600_000,
        serial,
      );
      writeFileSync(join(dir, `${serial}.pem`), cert.toString('pem'));
    };
    const bad = randomSerial();
    const good = randomSerial();
    await make(bad);
    await make(good);
    revoked.push({ serial: bad, revokedAt: new Date(), reason: 'privilegeWithdrawn' });
    const crl = publisher();
    await crl.publish('int-vpn');
    writeFileSync(join(dir, 'chain.pem'), crl.caBundlePem());
    const crlFile = join(dir, 'pki', 'int-vpn.crl');
    const text = openssl(['crl', '-in', crlFile, '-noout', '-text']);
    assert.match(text, new RegExp(`Serial Number: ${bad}`, 'i'));
    assert.match(text, /Privilege Withdrawn/);
    const verify = (serial: string) =>
      openssl(['verify', '-crl_check', '-CAfile', 'chain.pem', '-CRLfile', crlFile, `${serial}.pem`]);
    assert.match(verify(bad), /certificate revoked/);
    assert.match(verify(good), /: OK/);
  });

  it('serializes concurrent publishes (numbers stay unique and ordered)', async () => {
    const crl = publisher();
    const pems = await Promise.all([1, 2, 3, 4].map(() => crl.publish('int-device')));
    const numbers = pems.map((p) => {
      writeFileSync(join(dir, 'c.crl'), p);
      return Number(/Number:\s*\n\s*(\d+)/.exec(openssl(['crl', '-in', 'c.crl', '-noout', '-text']))![1]);
    });
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
    );
    assert.equal(new Set(numbers).size, 4);
  });
});
