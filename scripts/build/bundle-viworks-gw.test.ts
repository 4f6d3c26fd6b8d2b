// The bundled viworks-gw (what `npm run build` leaves in dist/) is the real dispatcher in one file:
// it answers a verb against a node configuration, refuses a request outside the grammar, reports
// the package's version from a bundle location (walking up to package.json). The bundle is placed
// outside the repository: it can only run if it needs none of our files at run time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GW_EXIT } from '../../core/gateway/control.js';
import { packageVersion } from '../../core/version.js';
import { createNodeConfig, type NodeConfigFixture } from '../../gateway/testing/node-config-fixture.js';
import { bundleViworksGw } from './bundle-viworks-gw.js';

describe('bundled viworks-gw', () => {
  let dir: string;
  let bundle: string;
  let fx: NodeConfigFixture;

  before(async () => {
    // A package root of its own, as an installed package has: package.json above dist/.
    dir = mkdtempSync(join(tmpdir(), 'viw-gw-bundle-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'viworks', version: packageVersion() }));
    mkdirSync(join(dir, 'dist/gateway/bin'), { recursive: true });
    bundle = join(dir, 'dist/gateway/bin/viworks-gw.js');
    const b = await bundleViworksGw(bundle);
    assert.ok(b.inputs > 50, 'the bundle holds the dispatcher and its dependencies');
    fx = createNodeConfig();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(fx.root, { recursive: true, force: true });
  });

  const gw = (command: string | null, args = ['--config', fx.path]) =>
    spawnSync(process.execPath, ['--trace-warnings', bundle, ...args], {
      input: '',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...(command ? { SSH_ORIGINAL_COMMAND: command } : {}) },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('answers health with the package version', () => {
    const r = gw('health');
    const reply = JSON.parse(r.stdout.trim()) as { ok: boolean; cmd: string; result?: { version?: string } };
    assert.equal(reply.cmd, 'health', r.stderr);
    assert.equal(reply.result?.version, packageVersion());
    assert.ok(r.status === GW_EXIT.ok || r.status === GW_EXIT.failed, `exit ${r.status}`);
  });

  it('refuses a request outside the grammar (exit 2) and a missing configuration (exit 1)', () => {
    const bad = gw('health; id');
    assert.equal(bad.status, GW_EXIT.invalid, bad.stdout);
    assert.equal((JSON.parse(bad.stdout.trim()) as { ok: boolean }).ok, false);
    const noConfig = gw('health', []);
    assert.equal(noConfig.status, GW_EXIT.failed);
    assert.match(noConfig.stdout, /VIW_E_CONFIG/);
  });
});
