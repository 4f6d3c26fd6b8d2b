import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openDatabase } from '../data/database.js';
import { asnRecord, ipLocationDbCountryRecord, writeMmdb } from '../testing/mmdb-writer.js';

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
    assert.equal(out.sources[0].source, 'database');
    assert.ok(out.sources[0].events >= 1);
    // Sealed into a signed batch, the first event has an inclusion proof the next verify checks.
    assert.equal((await cli(['audit', 'seal', '--json'], { VIWORKS_DATA_DIR: dir })).code, 0);
    const proof = JSON.parse(
      (await cli(['audit', 'prove', '1', '--json'], { VIWORKS_DATA_DIR: dir })).stdout,
    );
    assert.equal(proof.batch, 1);
    const again = JSON.parse((await cli(['audit', 'verify', '--json'], { VIWORKS_DATA_DIR: dir })).stdout);
    assert.equal(again.sources[0].batches.verified, 1);
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

  it('geo install checks and installs databases for the next start; geo lookup answers from them', async () => {
    const d = mkdtempSync(join(tmpdir(), 'viw-cli-geo-'));
    try {
      const file = (name: string, bytes: Buffer | string) => {
        writeFileSync(join(d, name), bytes);
        return join(d, name);
      };
      const country = file(
        'country.mmdb',
        writeMmdb([{ cidr: '8.8.8.0/24', data: ipLocationDbCountryRecord('SE') }], {
          databaseType: 'country ipvAll',
        }),
      );
      const asn = file(
        'asn.mmdb',
        writeMmdb([{ cidr: '8.8.8.0/24', data: asnRecord(64500, 'Example Carrier GmbH') }], {
          databaseType: 'GeoLite2-ASN',
        }),
      );
      const env = { VIWORKS_DATA_DIR: join(d, 'data') };
      const r = await cli(['geo', 'install', '--country', country, '--asn', asn, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.v, 1);
      assert.equal(out.takes_effect, 'next_start');
      assert.deepEqual(
        out.installed.map((f: { kind: string; path: string; shadowed_by: unknown }) => [
          f.kind,
          f.path,
          f.shadowed_by,
        ]),
        [
          ['country', join(d, 'data', 'geo', 'country.mmdb'), null],
          ['asn', join(d, 'data', 'geo', 'asn.mmdb'), null],
        ],
      );
      const human = await cli(['geo', 'install', '--data-dir', join(d, 'other'), '--asn', asn], {
        ...env,
        VIWORKS_GEOIP_ASN_DB: asn,
      });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /installed asn database .*other\/geo\/asn\.mmdb/);
      assert.match(human.stdout, /NOT USED while geoipAsnDb is set/);
      assert.match(human.stdout, /next start/);

      const lookup = await cli(['geo', 'lookup', '8.8.8.8', '--json'], env);
      assert.equal(lookup.code, 0, lookup.stderr);
      const found = JSON.parse(lookup.stdout);
      assert.deepEqual(
        [found.network, found.country, found.asn],
        ['public', 'SE', { number: 64500, organization: 'Example Carrier GmbH' }],
      );
      assert.deepEqual(
        found.sources.map((s: { setting: string; kind: string }) => `${s.setting}:${s.kind}`),
        ['installed:country', 'installed:asn'],
      );

      const refused = await cli(
        ['geo', 'install', '--country', file('x.csv', '8.8.8.0,8.8.8.255,US\n')],
        env,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /VIW_E_VALIDATION/);
      assert.match(refused.stderr, /--country is no usable MMDB/);
      const swapped = await cli(['geo', 'install', '--country', asn, '--json'], env);
      assert.equal(swapped.code, 1);
      assert.match(swapped.stderr, /--country is no country database/);
      assert.equal(swapped.stdout, '');
      for (const args of [
        ['geo'],
        ['geo', 'install'],
        ['geo', 'lookup', 'not-an-ip'],
        ['geo', 'install', '--bogus'],
      ]) {
        assert.equal((await cli(args, env)).code, 64, args.join(' '));
      }
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
