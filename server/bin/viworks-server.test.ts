import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openDatabase } from '../data/database.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, 'viworks-server.ts');

function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe('viworks-server CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init creates everything once, prints the one-time password once, and audits it', async () => {
    const env = { VIWORKS_DATA_DIR: dir };
    const first = await cli(['init', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout);
    assert.equal(out.database, 'sqlite');
    assert.match(out.first_admin.one_time_password, /^[A-Za-z0-9]{20}$/);
    assert.equal(statSync(join(dir, 'pki', 'root.key')).mode & 0o777, 0o600);

    const second = await cli(['init', '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout);
    assert.equal(again.first_admin, null);
    assert.deepEqual(again.backend_pins, out.backend_pins);
    assert.ok(!second.stderr.includes(out.first_admin.one_time_password));

    const db = await openDatabase({ dataDir: dir });
    try {
      const events = (await db.db.auditEvent.findMany()).map((e) => JSON.parse(e.event).action);
      assert.deepEqual(events, ['admin.first_admin_create']);
    } finally {
      await db.close();
    }
  });

  it('audit verify reports the intact trail created by init, as JSON and with exit 0', async () => {
    const r = await cli(['audit', 'verify', '--json'], { VIWORKS_DATA_DIR: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    assert.ok(out.events >= 1);
    assert.equal((await cli(['audit', 'bogus'], { VIWORKS_DATA_DIR: dir })).code, 64);
  });

  it('takes the automation password from the environment and never prints it', async () => {
    const d = mkdtempSync(join(tmpdir(), 'viw-cli-env-'));
    try {
      const r = await cli(['init'], { VIWORKS_DATA_DIR: d, VIWORKS_ADMIN_PASSWORD: 'automation-secret-42' });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('automation-secret-42') && !r.stderr.includes('automation-secret-42'));
      assert.doesNotMatch(r.stdout, /first admin/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('fails closed with stable exit codes: usage 64, configuration 78', async () => {
    const usage = await cli(['bogus'], { VIWORKS_DATA_DIR: dir });
    assert.equal(usage.code, 64);
    const config = await cli(['print-config'], {
      VIWORKS_DATA_DIR: dir,
      DATABASE_URL: 'mysql://u:hunter2@db/x',
    });
    assert.equal(config.code, 78);
    assert.match(config.stderr, /VIW_E_CONFIG/);
    assert.ok(!config.stderr.includes('hunter2'));
  });
});
