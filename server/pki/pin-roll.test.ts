import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { matchPin, type PinSet, spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { loadConfig } from '../config.js';
import { splitNames } from '../start.js';
import { startTestServer } from '../testing/harness.js';
import { loadPinnedCredential } from './credentials.js';
import { loadOrCreatePki } from './embedded-pki.js';
import { gatewayDir, tlsGatewaySpec } from './gateway-profile.js';
import { type PinRollReport, rollPins } from './pin-roll.js';

/** The SPKI pin of the key the server presents, read from a raw TLS handshake (no pin check here). */
function presentedPin(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(
      { host: '127.0.0.1', servername: 'localhost', port, ca, minVersion: 'TLSv1.3' },
      () => {
        const pin = spkiPinFromCertificate(sock.getPeerX509Certificate()!);
        sock.end();
        resolve(pin);
      },
    );
    sock.on('error', reject);
  });
}

describe('pin roll', () => {
  let dir: string;
  const config = () => ({ ...loadConfig({ env: { VIWORKS_DATA_DIR: dir } }), listenPort: 0 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-roll-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function serverPins(
    overrides = {},
  ): Promise<{ backend: PinSet; gateway: PinSet; presented: string }> {
    const srv = await startTestServer({ dataDir: dir, ...overrides });
    try {
      return {
        backend: srv.server.banner.backend_pins,
        gateway: srv.server.ctx!.gateway.pins,
        presented: await presentedPin(srv.server.port, srv.ca),
      };
    } finally {
      await srv.stop();
    }
  }

  it('backend-api: the old backup key becomes primary and the restarted server presents it', async () => {
    const before = await serverPins();
    assert.equal(before.presented, before.backend.primary_b64);
    const c = config();
    const report = await rollPins(c, splitNames(c.publicNames), 'backend-api');
    assert.deepEqual(report.previous, before.backend);
    assert.equal(report.pins.primary_b64, before.backend.backup_b64);
    assert.ok(![before.backend.primary_b64, before.backend.backup_b64].includes(report.pins.backup_b64));
    const afterRoll = await serverPins();
    assert.equal(afterRoll.presented, before.backend.backup_b64);
    assert.deepEqual(afterRoll.backend, report.pins);
    // A client that shipped with the old pair accepts the new key through its backup pin …
    assert.equal(matchPin(afterRoll.presented, before.backend), 'backup');
    // … and the gateway's pins were untouched.
    assert.deepEqual(afterRoll.gateway, before.gateway);
  });

  it('tls-gateway via `viworks-server pki roll tls-gateway --json`; the next bootstraps carry the new pins', async () => {
    const before = await serverPins();
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/bin/viworks-server.ts', ...args], {
        encoding: 'utf8',
        env: { ...process.env, VIWORKS_DATA_DIR: dir, VIWORKS_CONFIG: '' },
      });
    const run = cli(['pki', 'roll', 'tls-gateway', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as PinRollReport;
    assert.deepEqual(Object.keys(report).sort(), ['pins', 'previous', 'restart_required', 'target', 'v']);
    assert.equal(report.target, 'tls-gateway');
    assert.deepEqual(report.previous, before.gateway);
    assert.equal(report.pins.primary_b64, before.gateway.backup_b64);
    const afterRoll = await serverPins();
    assert.deepEqual(afterRoll.gateway, report.pins);
    assert.deepEqual(afterRoll.backend, before.backend);
    assert.equal(cli(['pki', 'roll', 'nope']).status, 64);
    assert.equal(cli(['pki', 'rotate', 'tls-gateway']).status, 64);
  });

  it('keeps the gateway row in step with the configured FQDN without changing pins', async () => {
    const a = await startTestServer({ dataDir: dir, gatewayFqdn: 'gw2.lab.viworks.test' });
    try {
      const row = await a.server.ctx!.db.gateway.findUniqueOrThrow({ where: { name: 'default' } });
      assert.equal(row.fqdn, 'gw2.lab.viworks.test');
      assert.equal(row.status, 'pending');
      assert.equal(row.id, a.server.ctx!.gateway.id);
      assert.equal(a.server.ctx!.gateway.fqdn, 'gw2.lab.viworks.test');
    } finally {
      await a.stop();
    }
  });

  it('heals a roll interrupted after its first step (backup copied over primary, nothing else)', async () => {
    const c = config();
    const pki = await loadOrCreatePki(dir, splitNames(c.publicNames));
    const spec = tlsGatewaySpec(pki, dir, c.gatewayFqdn);
    const before = await loadPinnedCredential(spec);
    const g = gatewayDir(dir);
    copyFileSync(join(g, 'tls-gateway.backup.key'), join(g, 'tls-gateway.key'));
    const healed = await loadPinnedCredential(spec);
    assert.equal(
      healed.pins.primary_b64,
      before.pins.backup_b64,
      'certificate re-issued on the new primary key',
    );
    assert.ok(![before.pins.primary_b64, before.pins.backup_b64].includes(healed.pins.backup_b64));
  });
});
