// `geo install` (install.ts): checks before writing, refuses what is no database of the kind,
// writes atomically with the promised modes; and the order the start then reads sources in:
// configured > installed > bundled, per kind.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  asnRecord,
  countryRecord,
  ipinfoRecord,
  ipLocationDbCountryRecord,
  writeMmdb,
} from '../../testing/mmdb-writer.js';
import { installGeoFiles } from './install.js';
import { installedGeoDir, openServerGeoIp } from './sources.js';

const COUNTRY = writeMmdb(
  [
    { cidr: '8.8.8.0/24', data: ipLocationDbCountryRecord('SE') },
    { cidr: '198.51.100.0/24', data: ipLocationDbCountryRecord('JP') },
  ],
  { databaseType: 'country ipvAll', buildEpoch: 1_790_000_000 },
);
const ASN = writeMmdb([{ cidr: '8.8.8.0/24', data: asnRecord(64500, 'Example Carrier GmbH') }], {
  databaseType: 'GeoLite2-ASN',
});
const CONFIGURED = writeMmdb([{ cidr: '8.8.8.0/24', data: countryRecord('NO', 'Norway') }], {
  databaseType: 'GeoIP2-Country',
});
const IPINFO = writeMmdb([{ cidr: '8.8.8.0/24', data: ipinfoRecord('CH', 64501, 'IPinfo Example AG') }], {
  databaseType: 'ipinfo lite.mmdb',
});

function assertRefused(fn: () => unknown, detail: RegExp): void {
  assert.throws(fn, (err: { code?: string; details?: string[] }) => {
    assert.equal(err.code, 'VIW_E_VALIDATION');
    assert.match(err.details?.join(' ') ?? '', detail);
    return true;
  });
}

describe('geo install', () => {
  let dir: string;
  let dataDir: string;
  const src = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-geo-install-'));
    dataDir = join(dir, 'data');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('checks, then installs country and AS databases atomically: 0644 files in a 0700 directory', () => {
    const oldUmask = process.umask(0o077);
    let installed: ReturnType<typeof installGeoFiles>;
    try {
      installed = installGeoFiles(installedGeoDir(dataDir), [
        { kind: 'country', source: src('c.mmdb', COUNTRY) },
        { kind: 'asn', source: src('a.mmdb', ASN) },
      ]);
    } finally {
      process.umask(oldUmask);
    }
    const geoDir = join(dataDir, 'geo');
    assert.deepEqual(
      installed.map((f) => [f.kind, f.path, f.database_type, f.size, f.replaced]),
      [
        ['country', join(geoDir, 'country.mmdb'), 'country ipvAll', COUNTRY.length, null],
        ['asn', join(geoDir, 'asn.mmdb'), 'GeoLite2-ASN', ASN.length, null],
      ],
    );
    assert.equal(installed[0]?.built_at, new Date(1_790_000_000_000).toISOString());
    assert.match(installed[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(statSync(geoDir).mode & 0o777, 0o700);
    for (const name of ['country.mmdb', 'asn.mmdb'])
      assert.equal(statSync(join(geoDir, name)).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(geoDir).sort(), ['asn.mmdb', 'country.mmdb'], 'no temp file left');
    assert.deepEqual(readFileSync(join(geoDir, 'country.mmdb')), COUNTRY);
  });

  it('refuses a file that is no MMDB, or no database of the kind, before writing anything', () => {
    const previous = readFileSync(join(dataDir, 'geo', 'country.mmdb'));
    assertRefused(
      () =>
        installGeoFiles(installedGeoDir(dataDir), [
          { kind: 'country', source: src('x.csv', Buffer.from('1,2,US\n')) },
        ]),
      /^--country is no usable MMDB: not a MaxMind DB file/,
    );
    // An AS database given as the country database, and back.
    assertRefused(
      () => installGeoFiles(installedGeoDir(dataDir), [{ kind: 'country', source: src('a2.mmdb', ASN) }]),
      /^--country is no country database: none of 8\.8\.8\.8, .* has a country in it/,
    );
    assertRefused(
      () =>
        installGeoFiles(installedGeoDir(dataDir), [
          { kind: 'country', source: src('c2.mmdb', COUNTRY) },
          { kind: 'asn', source: src('c3.mmdb', COUNTRY) },
        ]),
      /^--asn is no asn database/,
    );
    assertRefused(
      () => installGeoFiles(installedGeoDir(dataDir), [{ kind: 'asn', source: join(dir, 'missing.mmdb') }]),
      /^--asn cannot be read/,
    );
    assert.deepEqual(readFileSync(join(dataDir, 'geo', 'country.mmdb')), previous, 'nothing was replaced');
  });

  it('the start reads extra ranges, then per kind: configured > installed > bundled', () => {
    const config = { dataDir, geoipCountryDb: null, geoipAsnDb: null, geoExtraRanges: null };
    const installed = openServerGeoIp(config);
    assert.deepEqual(installed.describe('8.8.8.8'), {
      network: 'public',
      country: 'SE',
      asn: { number: 64500, organization: 'Example Carrier GmbH' },
    });
    assert.deepEqual(
      installed.databases.map((d) => [d.setting, d.kind, d.databaseType]),
      [
        ['installed', 'country', 'country ipvAll'],
        ['installed', 'asn', 'GeoLite2-ASN'],
      ],
    );
    // A configured file outranks the installed one of its kind only.
    const configured = openServerGeoIp({ ...config, geoipCountryDb: src('conf.mmdb', CONFIGURED) });
    assert.equal(configured.describe('8.8.8.8').country, 'NO');
    assert.equal(configured.describe('8.8.8.8').asn?.number, 64500);
    assert.deepEqual(
      configured.databases.map((d) => d.setting),
      ['geoipCountryDb', 'installed'],
    );
    // IPinfo's layout, configured as the AS database.
    const ipinfo = openServerGeoIp({ ...config, geoipAsnDb: src('ipinfo.mmdb', IPINFO) });
    assert.deepEqual(ipinfo.describe('8.8.8.8').asn, { number: 64501, organization: 'IPinfo Example AG' });
    // Nothing installed for a kind: the bundled data answers it.
    rmSync(join(dataDir, 'geo', 'asn.mmdb'));
    const mixed = openServerGeoIp(config);
    assert.deepEqual(
      mixed.databases.map((d) => [d.setting, d.kind]),
      [
        ['installed', 'country'],
        ['bundled', 'asn'],
      ],
    );
    assert.equal(mixed.describe('8.8.8.8').asn?.number, 15169);
  });

  it('a damaged or unreadable installed file stops the start (VIW_E_CONFIG), never skipped', () => {
    const config = { dataDir, geoipCountryDb: null, geoipAsnDb: null, geoExtraRanges: null };
    const path = join(dataDir, 'geo', 'asn.mmdb');
    writeFileSync(path, ASN.subarray(0, 50));
    assert.throws(
      () => openServerGeoIp(config),
      (err: { code?: string; details?: string[] }) =>
        err.code === 'VIW_E_CONFIG' &&
        /^installed asn database: not a MaxMind DB file/.test(err.details?.[0] ?? ''),
    );
    if (process.getuid?.() !== 0) {
      writeFileSync(path, ASN);
      chmodSync(path, 0o000);
      assert.throws(() => openServerGeoIp(config), /./);
    }
    rmSync(path);
  });
});
