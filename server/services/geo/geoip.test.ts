// Country and AS lookups over real MMDB files (written by server/testing/mmdb-writer.ts in the
// GeoLite2-Country and GeoLite2-ASN layouts, read by mmdb-lib), private addresses, configuration
// errors, and what is let through from a database's values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config.js';
import { asnRecord, countryRecord, type MmdbNetwork, writeMmdb } from '../../testing/mmdb-writer.js';
import { AS_ORG_MAX, cleanOrganization, type GeoIpFiles, openGeoIp } from './geoip.js';
import { isPrivateAddress, unmapAddress } from './source-network.js';

const COUNTRY = writeMmdb(
  [
    { cidr: '203.0.113.0/24', data: countryRecord('DE', 'Germany') },
    { cidr: '198.51.100.0/25', data: countryRecord('JP', 'Japan') },
    { cidr: '2001:db8::/32', data: countryRecord('NL', 'Netherlands') },
    // Present in the file so that a lookup would find it: private addresses must not get it.
    { cidr: '10.0.0.0/8', data: countryRecord('FR', 'France') },
  ],
  { databaseType: 'GeoLite2-Country' },
);
const ASN = writeMmdb(
  [
    { cidr: '203.0.113.0/24', data: asnRecord(64500, 'Example Carrier GmbH') },
    { cidr: '2001:db8::/32', data: asnRecord(64501, 'Example IPv6 Transit B.V.') },
    { cidr: '192.168.0.0/16', data: asnRecord(64502, 'Never Shown') },
  ],
  { databaseType: 'GeoLite2-ASN' },
);

const FILES: GeoIpFiles = { geoipCountryDb: '/geo/country.mmdb', geoipAsnDb: '/geo/asn.mmdb' };

function reader(files: Record<string, Buffer>) {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    const bytes = files[path];
    if (!bytes) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return bytes;
  };
  return { read, reads };
}

const both = () => reader({ '/geo/country.mmdb': COUNTRY, '/geo/asn.mmdb': ASN }).read;

function assertConfigError(fn: () => unknown, detail: RegExp): void {
  assert.throws(fn, (err: { code?: string; details?: string[] }) => {
    assert.equal(err.code, 'VIW_E_CONFIG');
    assert.match(err.details?.join(' ') ?? '', detail);
    return true;
  });
}

describe('geoip', () => {
  it('looks up country and AS for IPv4, IPv6 and IPv4-mapped addresses', () => {
    const geo = openGeoIp(FILES, both());
    const de = {
      network: 'public',
      country: 'DE',
      asn: { number: 64500, organization: 'Example Carrier GmbH' },
    };
    assert.deepEqual(geo.describe('203.0.113.77'), de);
    assert.deepEqual(geo.describe('::ffff:203.0.113.77'), de);
    assert.deepEqual(geo.describe('2001:db8:1::5'), {
      network: 'public',
      country: 'NL',
      asn: { number: 64501, organization: 'Example IPv6 Transit B.V.' },
    });
    // In the country file only; in neither.
    assert.deepEqual(geo.describe('198.51.100.9'), { network: 'public', country: 'JP', asn: null });
    assert.deepEqual(geo.describe('198.51.100.200'), { network: 'public', country: null, asn: null });
    assert.deepEqual(
      geo.databases.map((d) => [d.setting, d.databaseType]),
      [
        ['geoipCountryDb', 'GeoLite2-Country'],
        ['geoipAsnDb', 'GeoLite2-ASN'],
      ],
    );
  });

  it('answers private, loopback and link-local addresses `private` without a lookup', () => {
    const geo = openGeoIp(FILES, both());
    for (const ip of [
      '10.1.2.3',
      '192.168.4.5',
      '127.0.0.1',
      '::ffff:10.9.9.9',
      '::1',
      'fe80::1',
      'fd00::7',
    ]) {
      assert.deepEqual(geo.describe(ip), { network: 'private', country: null, asn: null }, ip);
    }
  });

  it('classifies addresses: private ranges, documentation ranges looked up, garbage not private', () => {
    const privateIps = [
      '0.0.0.0',
      '10.0.0.1',
      '100.64.0.1',
      '100.127.255.254',
      '127.5.6.7',
      '169.254.1.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '::',
      '::1',
      'fc00::1',
      'fdff::1',
      'fe80::abcd',
      '::ffff:127.0.0.1',
    ];
    for (const ip of privateIps) assert.equal(isPrivateAddress(ip), true, ip);
    const publicIps = [
      '100.128.0.1',
      '172.32.0.1',
      '192.0.2.1',
      '203.0.113.1',
      '8.8.8.8',
      '2001:db8::1',
      'fec0::1',
    ];
    for (const ip of publicIps) assert.equal(isPrivateAddress(ip), false, ip);
    assert.equal(isPrivateAddress('not an address'), false);
    assert.equal(unmapAddress('::FFFF:192.0.2.1'), '192.0.2.1');
    assert.equal(unmapAddress('2001:db8::1'), '2001:db8::1');
  });

  it('unconfigured: nothing is read and every field is null', () => {
    const r = reader({});
    const geo = openGeoIp({ geoipCountryDb: null, geoipAsnDb: null }, r.read);
    assert.deepEqual(geo.describe('203.0.113.77'), { network: 'public', country: null, asn: null });
    assert.deepEqual(geo.describe('10.0.0.1'), { network: 'private', country: null, asn: null });
    assert.deepEqual(r.reads, []);
    assert.deepEqual(geo.databases, []);
    const countryOnly = openGeoIp({ geoipCountryDb: '/geo/country.mmdb', geoipAsnDb: null }, both());
    assert.deepEqual(countryOnly.describe('203.0.113.77'), { network: 'public', country: 'DE', asn: null });
  });

  it('is configured by VIWORKS_GEOIP_COUNTRY_DB / VIWORKS_GEOIP_ASN_DB, unset by default', () => {
    const base = { VIWORKS_DATA_DIR: '/tmp/viw-geo-config' };
    const unset = loadConfig({ env: base });
    assert.deepEqual([unset.geoipCountryDb, unset.geoipAsnDb], [null, null]);
    const set = loadConfig({
      env: { ...base, VIWORKS_GEOIP_COUNTRY_DB: '/geo/country.mmdb', VIWORKS_GEOIP_ASN_DB: '/geo/asn.mmdb' },
    });
    assert.deepEqual([set.geoipCountryDb, set.geoipAsnDb], ['/geo/country.mmdb', '/geo/asn.mmdb']);
  });

  it('a configured file that is missing or not a MaxMind DB stops the start (VIW_E_CONFIG)', () => {
    assertConfigError(
      () => openGeoIp(FILES, reader({ '/geo/country.mmdb': COUNTRY }).read),
      /^geoipAsnDb: cannot read/,
    );
    const bad = (bytes: Buffer) => () =>
      openGeoIp({ geoipCountryDb: '/geo/country.mmdb', geoipAsnDb: null }, () => bytes);
    assertConfigError(bad(Buffer.from('{"country": "DE"}\n')), /^geoipCountryDb: not a MaxMind DB file/);
    assertConfigError(bad(Buffer.alloc(0)), /not a MaxMind DB file/);
    // Cut in the middle: the metadata at the end is gone.
    assertConfigError(bad(COUNTRY.subarray(0, COUNTRY.length >> 1)), /not a MaxMind DB file/);
    // Metadata kept, the search tree it announces cut away.
    assertConfigError(bad(Buffer.concat([COUNTRY.subarray(0, 100), COUNTRY.subarray(-300)])), /MaxMind DB/);
  });

  it('lets out only well-formed values: alpha-2 codes, AS numbers in range, cleaned capped names', () => {
    const nets: MmdbNetwork[] = [
      { cidr: '192.0.2.0/28', data: { country: { iso_code: 'de' } } },
      {
        cidr: '192.0.2.16/28',
        data: { country: { iso_code: 'ZZ' }, registered_country: { iso_code: 'AT' } },
      },
      { cidr: '192.0.2.32/28', data: { country_code: 'CH' } }, // ip-location-db's layout
      { cidr: '192.0.2.48/28', data: { country: { iso_code: 'DEU' } } },
      { cidr: '192.0.2.64/28', data: asnRecord(0, 'Reserved') },
      { cidr: '192.0.2.80/28', data: { autonomous_system_number: '64500' } },
      { cidr: '192.0.2.96/28', data: { autonomous_system_number: 4_294_967_295 } },
      { cidr: '192.0.2.112/28', data: asnRecord(64_510, ' Evil\u202eCorp\n\tLtd\u0000 ') },
      { cidr: '192.0.2.128/28', data: asnRecord(64_511, 'x'.repeat(AS_ORG_MAX + 40)) },
      { cidr: '192.0.2.144/28', data: asnRecord(64_512, '\u0007\u200b') },
    ];
    const db = writeMmdb(nets, { databaseType: 'mixed', ipVersion: 4 });
    const geo = openGeoIp({ geoipCountryDb: '/c', geoipAsnDb: '/a' }, () => db);
    const at = (last: number) => geo.describe(`192.0.2.${last}`);
    assert.equal(at(1).country, null);
    assert.equal(at(17).country, 'AT');
    assert.equal(at(33).country, 'CH');
    assert.equal(at(49).country, null);
    assert.equal(at(65).asn, null);
    assert.equal(at(81).asn, null);
    assert.deepEqual(at(97).asn, { number: 4_294_967_295, organization: null });
    assert.deepEqual(at(113).asn, { number: 64_510, organization: 'Evil Corp Ltd' });
    assert.equal(at(129).asn?.organization, 'x'.repeat(AS_ORG_MAX));
    assert.deepEqual(at(145).asn, { number: 64_512, organization: null });
    // An IPv4-only database is not asked about IPv6 addresses.
    assert.deepEqual(geo.describe('2001:db8::1'), { network: 'public', country: null, asn: null });
    assert.equal(cleanOrganization(`${'a'.repeat(AS_ORG_MAX - 1)}😀`), 'a'.repeat(AS_ORG_MAX - 1));
  });
});
