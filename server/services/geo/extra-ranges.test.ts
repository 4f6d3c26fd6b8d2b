// The extra-ranges file: schema and range checks (VIW_E_CONFIG naming the place in the file), most
// specific range first, private ranges mapped, and its place before every database.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config.js';
import { asnRecord, countryRecord, writeMmdb } from '../../testing/mmdb-writer.js';
import { parseCidr } from './address-number.js';
import { EXTRA_RANGES_MAX, parseExtraRanges } from './extra-ranges.js';
import { openGeoIp } from './geoip.js';

const file = (ranges: unknown[], extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ v: 1, ranges, ...extra }));

const LAB = file([
  { cidr: '10.99.0.0/16', country: 'RU', asn: 64512, organization: 'Lab Transit' },
  { cidr: '10.99.7.0/24', country: 'KZ' },
  { cidr: '10.99.7.128/32', country: 'BY', asn: 64513 },
  { cidr: '203.0.113.0/25', country: 'CH' },
  { cidr: 'fd00:99::/32', country: 'FI', asn: 4_294_967_295 },
]);

function assertConfigError(fn: () => unknown, detail: RegExp): void {
  assert.throws(fn, (err: { code?: string; details?: string[] }) => {
    assert.equal(err.code, 'VIW_E_CONFIG');
    assert.match(err.details?.join(' | ') ?? '', detail);
    return true;
  });
}

describe('extra ranges', () => {
  it('answers with the most specific range holding the address', () => {
    const r = parseExtraRanges(LAB, '/etc/viworks/ranges.json');
    assert.equal(r.count, 5);
    assert.equal(r.lookup('10.99.1.1')?.country, 'RU');
    assert.deepEqual(r.lookup('10.99.7.1'), { cidr: '10.99.7.0/24', country: 'KZ' });
    assert.deepEqual(r.lookup('10.99.7.128')?.asn, { number: 64513, organization: null });
    assert.equal(r.lookup('10.99.7.129')?.country, 'KZ');
    assert.equal(r.lookup('10.98.0.1'), null);
    assert.equal(r.lookup('fd00:99:1::5')?.country, 'FI');
    assert.equal(r.lookup('fd00:98::5'), null);
    assert.equal(r.lookup('garbage'), null);
  });

  it('comes before the databases, maps private addresses, and leaves what it does not say to them', () => {
    const country = writeMmdb(
      [
        { cidr: '203.0.113.0/24', data: countryRecord('DE', 'Germany') },
        { cidr: '10.0.0.0/8', data: countryRecord('FR', 'France') },
      ],
      { databaseType: 'GeoLite2-Country' },
    );
    const asn = writeMmdb([{ cidr: '203.0.113.0/24', data: asnRecord(64500, 'Example Carrier GmbH') }], {
      databaseType: 'GeoLite2-ASN',
    });
    const bytes: Record<string, Buffer> = { '/c': country, '/a': asn, '/r': LAB };
    const geo = openGeoIp(
      { geoipCountryDb: '/c', geoipAsnDb: '/a', geoExtraRanges: '/r' },
      {
        read: (p) => bytes[p] ?? Buffer.alloc(0),
        mtime: () => new Date('2026-05-04T03:02:01Z'),
      },
    );
    assert.deepEqual(geo.describe('10.99.7.128'), {
      network: 'private',
      country: 'BY',
      asn: { number: 64513, organization: null },
    });
    assert.deepEqual(geo.describe('::ffff:10.99.0.9'), {
      network: 'private',
      country: 'RU',
      asn: { number: 64512, organization: 'Lab Transit' },
    });
    // A private range without an AS: none (no database is asked for private addresses).
    assert.deepEqual(geo.describe('10.99.7.1'), { network: 'private', country: 'KZ', asn: null });
    assert.deepEqual(geo.describe('10.1.1.1'), { network: 'private', country: null, asn: null });
    // Public: the range's country wins, the AS it leaves out comes from the database.
    assert.deepEqual(geo.describe('203.0.113.5'), {
      network: 'public',
      country: 'CH',
      asn: { number: 64500, organization: 'Example Carrier GmbH' },
    });
    assert.equal(geo.describe('203.0.113.200').country, 'DE');
    assert.deepEqual(geo.databases[0], {
      setting: 'geoExtraRanges',
      kind: 'ranges',
      path: '/r',
      databaseType: '5 extra ranges',
      builtAt: new Date('2026-05-04T03:02:01Z'),
    });
  });

  it('stops the start on a bad file, naming the place in it', () => {
    const bad = (bytes: Buffer, detail: RegExp) =>
      assertConfigError(() => parseExtraRanges(bytes, '/r.json'), detail);
    bad(Buffer.from('{"v":1,'), /^geoExtraRanges \/r\.json: \/: not JSON/);
    bad(file([], { v: 2 }), /\/v/);
    bad(file([], { comment: 'x' }), /\/r\.json: \/comment/);
    bad(file([{ cidr: '10.0.0.0/8', country: 'ru' }]), /\/ranges\/0\/country/);
    bad(file([{ cidr: '10.0.0.0/8', country: 'RU', asn: 0 }]), /\/ranges\/0\/asn/);
    bad(file([{ cidr: '10.0.0.0/8', country: 'RU', asn: 4_294_967_296 }]), /\/ranges\/0\/asn/);
    bad(file([{ cidr: '10.0.0.0/8', country: 'RU', asn: 1.5 }]), /\/ranges\/0\/asn/);
    bad(file([{ cidr: '10.0.0.0/8', country: 'RU', region: 'x' }]), /\/ranges\/0/);
    bad(file([{ cidr: '10.0.0.0/8' }]), /\/ranges\/0/);
    bad(
      file([{ cidr: '10.0.0.0/8', country: 'RU', organization: 'No AS' }]),
      /\/ranges\/0\/organization: an organization needs an asn/,
    );
    bad(
      file([{ cidr: '10.0.0.0/8', country: 'RU', asn: 1, organization: 'Bad\nName' }]),
      /\/ranges\/0\/organization/,
    );
    const ok = { cidr: '10.0.0.0/8', country: 'RU' };
    bad(file([ok, { cidr: '10.0.0.1/8', country: 'RU' }]), /\/ranges\/1\/cidr: host bits set/);
    bad(file([ok, { cidr: '10.0.0.0/33', country: 'RU' }]), /\/ranges\/1\/cidr: prefix longer than 32 bits/);
    bad(file([ok, { cidr: '10.0.0.0', country: 'RU' }]), /\/ranges\/1\/cidr: not a CIDR range/);
    bad(
      file([ok, { cidr: '10.0.0.256/32', country: 'RU' }]),
      /\/ranges\/1\/cidr: not an IPv4 or IPv6 address/,
    );
    bad(file([ok, { cidr: '2001:db8::1/32', country: 'RU' }]), /\/ranges\/1\/cidr: host bits set/);
    bad(file([ok, { cidr: '::ffff:10.0.0.0/104', country: 'RU' }]), /\/ranges\/1\/cidr: IPv4-mapped/);
    bad(
      file([ok, { cidr: '10.0.0.0/8', country: 'FR' }]),
      /\/ranges\/1\/cidr: the same range as an earlier entry/,
    );
    const many = Array.from({ length: EXTRA_RANGES_MAX + 1 }, (_, i) => ({
      cidr: `10.${i >> 8}.${i & 255}.0/24`,
      country: 'RU',
    }));
    bad(file(many), /\/ranges/);
    assert.equal(parseExtraRanges(file(many.slice(0, EXTRA_RANGES_MAX)), '/r.json').count, EXTRA_RANGES_MAX);
    bad(Buffer.alloc(3 * 1024 * 1024, 0x20), /larger than/);
    // Through openGeoIp: a missing file is no "no ranges".
    assertConfigError(
      () =>
        openGeoIp({ geoipCountryDb: null, geoipAsnDb: null, geoExtraRanges: '/nope.json' }, () => {
          throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        }),
      /^geoExtraRanges: cannot read \/nope\.json/,
    );
  });

  it('parses CIDR ranges of both families', () => {
    assert.deepEqual(parseCidr('0.0.0.0/0'), { version: 4, value: 0n, prefix: 0 });
    assert.deepEqual(parseCidr('2001:db8::/32'), { version: 6, value: 0x20010db8n << 96n, prefix: 32 });
    assert.deepEqual(parseCidr('::/0'), { version: 6, value: 0n, prefix: 0 });
    assert.deepEqual(parseCidr('192.0.2.1/32'), { version: 4, value: 0xc0000201n, prefix: 32 });
    assert.equal(parseCidr('2001:db8::/129'), 'prefix longer than 128 bits');
  });

  it('is configured by VIWORKS_GEO_EXTRA_RANGES, unset by default', () => {
    const env = { VIWORKS_DATA_DIR: '/tmp/viw-geo-config' };
    assert.equal(loadConfig({ env }).geoExtraRanges, null);
    const set = loadConfig({ env: { ...env, VIWORKS_GEO_EXTRA_RANGES: '/etc/viworks/geo-ranges.json' } });
    assert.equal(set.geoExtraRanges, '/etc/viworks/geo-ranges.json');
  });
});
