// The databases shipped as npm packages: present, readable, answering for well-known public
// addresses (this test fails when a package is missing or damaged), the AS CSV reader on its own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAsnCsv } from './asn-csv.js';
import { BUNDLED_ASN_PACKAGE, BUNDLED_COUNTRY_PACKAGE, bundledGeo, versionDate } from './bundled.js';
import { openServerGeoIp, realGeoIo } from './sources.js';

describe('bundled geo data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'viw-geo-bundled-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const unconfigured = { dataDir, geoipCountryDb: null, geoipAsnDb: null, geoExtraRanges: null };

  it('answers country and AS for well-known public addresses from the packages alone', () => {
    const geo = openServerGeoIp(unconfigured);
    const google = geo.describe('8.8.8.8');
    assert.equal(google.network, 'public');
    assert.equal(google.country, 'US');
    assert.equal(google.asn?.number, 15169);
    assert.match(google.asn?.organization ?? '', /google/i);
    assert.deepEqual(geo.describe('::ffff:8.8.8.8'), google);
    assert.equal(geo.describe('1.1.1.1').asn?.number, 13335); // Cloudflare
    const ripe = geo.describe('193.0.6.139'); // RIPE NCC, Amsterdam
    assert.deepEqual([ripe.country, ripe.asn?.number], ['NL', 3333]);
    assert.equal(geo.describe('2001:4860:4860::8888').asn?.number, 15169);
    assert.match(geo.describe('2001:4860:4860::8888').country ?? '', /^[A-Z]{2}$/);
    // Private addresses are still answered without a lookup.
    assert.deepEqual(geo.describe('10.1.2.3'), { network: 'private', country: null, asn: null });
  });

  it('names what it uses, with build dates, for the start log', () => {
    const geo = openServerGeoIp(unconfigured);
    const [country, asn, ...more] = geo.databases;
    assert.equal(more.length, 0);
    assert.deepEqual(
      [country?.setting, country?.kind, asn?.setting, asn?.kind],
      ['bundled', 'country', 'bundled', 'asn'],
    );
    assert.match(country?.databaseType ?? '', new RegExp(`^${BUNDLED_COUNTRY_PACKAGE}@2\\.3\\.\\d{10}$`));
    assert.match(asn?.databaseType ?? '', new RegExp(`^${BUNDLED_ASN_PACKAGE}@2\\.3\\.\\d{10}$`));
    for (const d of geo.databases) {
      assert.ok(d.builtAt.getTime() > Date.UTC(2025, 0, 1), `${d.kind} built ${d.builtAt.toISOString()}`);
    }
    const files = bundledGeo(realGeoIo.read);
    assert.equal(country?.path, files.country?.path);
  });

  it('reads the build hour from the package version', () => {
    assert.equal(versionDate('2.3.2026061719')?.toISOString(), '2026-06-17T19:00:00.000Z');
    assert.equal(versionDate('2.3.2026061725'), null);
    assert.equal(versionDate('1.0.0'), null);
  });
});

describe('AS CSV tables (asn-csv.ts)', () => {
  const v4 = [
    '16777216,16777471,13335,"Cloudflare, Inc."', // 1.0.0.0/24
    '16778240,16779263,38803,Gtelecom Pty Ltd',
    '35309568,35313663,201907,"LLC ""SPUTNIK"""',
    // An overlap as in the real file: the later row wins from its start on.
    '3596550144,3607166975,749,First',
    '3607101440,3607167999,721,Second',
    '',
  ].join('\n');
  const v6 = [
    '42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,Hurricane Electric LLC',
    '42540528726795050063891204319802818560,42540528727329395276160870415022948351,2500,WIDE Project',
  ].join('\r\n');

  it('finds the range holding an address, in both families, with quoted names', () => {
    const t = parseAsnCsv(v4, v6);
    assert.equal(t.rows, 7);
    const at = (ip: string) => t.lookup(ip);
    assert.deepEqual(at('1.0.0.77'), {
      autonomous_system_number: 13335,
      autonomous_system_organization: 'Cloudflare, Inc.',
    });
    assert.equal(at('1.0.1.0'), null, 'between rows');
    assert.equal(at('1.0.4.0')?.autonomous_system_number, 38803);
    assert.equal(at('2.26.200.1')?.autonomous_system_organization, 'LLC "SPUTNIK"');
    assert.equal(at('214.95.0.1')?.autonomous_system_number, 749);
    assert.equal(at('215.0.0.1')?.autonomous_system_number, 721);
    assert.equal(at('215.1.3.255')?.autonomous_system_number, 721);
    assert.equal(at('0.0.0.1'), null, 'before the first row');
    assert.equal(at('255.255.255.255'), null, 'after the last row');
    assert.equal(at('2001::1')?.autonomous_system_number, 6939);
    assert.equal(at('2001:200::1')?.autonomous_system_organization, 'WIDE Project');
    assert.equal(at('2001:db8::1'), null);
    assert.equal(at('not an address'), null);
  });

  it('refuses malformed, unsorted or out-of-range rows (a damaged package)', () => {
    assert.throws(() => parseAsnCsv('1,2\n', ''), /IPv4 table line 1: malformed/);
    assert.throws(() => parseAsnCsv('1,x,3,Org\n', ''), /malformed/);
    assert.throws(() => parseAsnCsv('5,4,3,Org\n', ''), /malformed/);
    assert.throws(() => parseAsnCsv('10,20,3,A\n5,6,3,B\n', ''), /not sorted/);
    assert.throws(() => parseAsnCsv('4294967296,4294967297,3,A\n', ''), /beyond 32 bits/);
    assert.throws(() => parseAsnCsv('', '1,2,3,A\n0,1,3,B'), /IPv6 table line 2: not sorted/);
  });
});
