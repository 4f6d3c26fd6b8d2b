import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isViworksError } from '../core/errors/viworks-error.js';
import { loadConfig, redactConfig } from './config.js';

describe('server config', () => {
  it('starts from safe defaults: production mode, loopback, per-user data dir', () => {
    const c = loadConfig({ env: { XDG_DATA_HOME: '/x/share' } });
    assert.equal(c.mode, 'production');
    assert.equal(c.listenHost, '127.0.0.1');
    assert.equal(c.databaseUrl, null);
    if (process.getuid?.() !== 0) assert.equal(c.dataDir, '/x/share/viworks-server');
  });

  it('layers file < environment and validates the result', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ listenPort: 9000, logLevel: 'debug' }));
    const c = loadConfig({ env: { VIWORKS_LISTEN_PORT: '9443' }, file });
    assert.equal(c.listenPort, 9443);
    assert.equal(c.logLevel, 'debug');
  });

  it('fails closed on unknown settings and bad values, naming the setting', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ listenPortt: 9000 }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
    for (const env of [
      { VIWORKS_LISTEN_PORT: '70000' },
      { VIWORKS_MODE: 'insecure' },
      { DATABASE_URL: 'mysql://x' },
    ]) {
      assert.throws(
        () => loadConfig({ env }),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.length > 0,
        JSON.stringify(env),
      );
    }
    writeFileSync(file, '[1]');
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });

  it('redacts credentials in connection URLs', () => {
    const c = loadConfig({
      env: {
        DATABASE_URL: 'postgresql://viw:s3cret-pw@db:5432/viw',
        REDIS_URL: 'redis://:r3dis-pw@cache:6379',
      },
    });
    const printed = JSON.stringify(redactConfig(c));
    assert.ok(!printed.includes('s3cret-pw') && !printed.includes('r3dis-pw'));
    assert.ok(printed.includes('postgresql://***@db:5432/viw'));
  });
});
