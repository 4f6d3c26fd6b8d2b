import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuditEventSchema } from '../audit/event.js';
import { type ClientHello, parseClientHelloBody, readClientHello } from './client-hello.js';
import { fingerprintClientHello, isGrease } from './fingerprints.js';
import { clientHelloMessage, ext, type HelloSpec } from './testing/build-client-hello.js';
import { CLIENT_HELLO_VECTORS } from './testing/client-hello-vectors.js';

function hello(spec: HelloSpec): ClientHello {
  const parsed = parseClientHelloBody(clientHelloMessage(spec).subarray(4));
  assert.ok(parsed, 'the builder makes a well-formed ClientHello');
  return parsed;
}
const fp = (spec: HelloSpec) => fingerprintClientHello(hello(spec));
const JA4_PATTERN = new RegExp(
  (AuditEventSchema.properties.tls_ja4 as unknown as { pattern: string }).pattern,
);

describe('JA3 and JA4 of real ClientHellos (FoxIO test pcaps; JA3 from Wireshark)', () => {
  for (const v of CLIENT_HELLO_VECTORS) {
    it(`${v.source}: ${v.note}`, () => {
      const read = readClientHello(Buffer.from(v.hex, 'hex'));
      assert.equal(read.state, 'complete');
      if (read.state !== 'complete') return;
      const f = fingerprintClientHello(read.hello);
      assert.equal(f.ja3Text, v.ja3Text);
      assert.equal(f.ja3, v.ja3);
      const expected = v.specJa4 ?? v.ja4;
      assert.equal(f.ja4, expected);
      // Where we follow the specification over the published value, only the ALPN characters differ.
      assert.equal(f.ja4Raw, `${expected.slice(0, 10)}${v.ja4Raw.slice(10)}`);
      assert.match(f.ja4, JA4_PATTERN, 'fits the audit schema');
    });
  }
});

describe('JA3 (salesforce/ja3 README examples)', () => {
  it('with extensions, groups and point formats', () => {
    const f = fp({
      legacyVersion: 769,
      cipherSuites: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
      extensions: [ext.serverName('a.example'), ext.supportedGroups([23, 24, 25]), ext.ecPointFormats([0])],
    });
    assert.equal(f.ja3Text, '769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0');
    assert.equal(f.ja3, 'ada70206e40642a3e4461f35503241d5');
  });

  it('without an extension block: the last three fields are empty', () => {
    const f = fp({
      legacyVersion: 769,
      cipherSuites: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99],
      extensions: null,
    });
    assert.equal(f.ja3Text, '769,4-5-10-9-100-98-3-6-19-18-99,,,');
    assert.equal(f.ja3, 'de350869b8c85de67a350c8d186f11e6');
    assert.equal(f.ja4, 't10i110000_3609b414f052_000000000000');
  });
});

describe('JA4 (FoxIO JA4.md worked example and rules)', () => {
  const ciphers = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
    0x002f, 0x0035,
  ];
  const sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
  /** JA4.md's extension list 001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015. */
  const example = (withSigs = true): HelloSpec => ({
    cipherSuites: ciphers,
    extensions: [
      ext.other(0x001b),
      ext.serverName('example.com'),
      ext.other(0x0033),
      ext.alpn('h2', 'http/1.1'),
      ext.other(0x4469),
      ext.other(0x0017),
      ext.other(0x002d),
      ext.signatureAlgorithms(withSigs ? sigs : []),
      ext.other(0x0005),
      ext.other(0x0023),
      ext.other(0x0012),
      ext.supportedVersions([0x0304, 0x0303]),
      ext.other(0xff01),
      ext.ecPointFormats([0]),
      ext.supportedGroups([0x001d, 0x0017]),
      ext.other(0x0015),
    ],
  });

  it('t13d1516h2_8daaf6152771_e5627efa2ab1', () => {
    const f = fp(example());
    assert.equal(f.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1');
    assert.equal(
      f.ja4Raw,
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('no signature algorithms: the extension list alone, no underscore (…_6d807ffa2a79)', () => {
    assert.equal(fp(example(false)).ja4, 't13d1516h2_8daaf6152771_6d807ffa2a79');
  });

  it('GREASE is ignored everywhere: counts, lists, versions and JA3', () => {
    const plain = fp(example());
    const greased: HelloSpec = {
      cipherSuites: [0x3a3a, ...ciphers, 0xfafa],
      extensions: [
        ext.other(0x0a0a),
        ...example().extensions!.map((e) =>
          e[0] === 0x002b
            ? ext.supportedVersions([0x7a7a, 0x0304, 0x0303])
            : e[0] === 0x000d
              ? ext.signatureAlgorithms([0x2a2a, ...sigs])
              : e[0] === 0x000a
                ? ext.supportedGroups([0xcaca, 0x001d, 0x0017])
                : e,
        ),
        ext.other(0xdada, [0]),
      ],
    };
    assert.deepEqual(fingerprintClientHello(hello(greased)), plain);
    assert.equal(plain.ja3Text.split(',')[3], '29-23');
    for (const v of [0x0a0a, 0x1a1a, 0xfafa]) assert.equal(isGrease(v), true);
    for (const v of [0x0a1a, 0x0b0b, 0xaaab, 0x0a0b, 0x1301]) assert.equal(isGrease(v), false);
  });

  it('version: the highest of supported_versions, else legacy_version; unknown is 00', () => {
    const v = (spec: HelloSpec) => fp(spec).ja4.slice(1, 3);
    assert.equal(v({ legacyVersion: 0x0303, extensions: [ext.supportedVersions([0x0303, 0x0304])] }), '13');
    assert.equal(v({ legacyVersion: 0x0303, extensions: [] }), '12');
    assert.equal(v({ legacyVersion: 0x0301, extensions: null }), '10');
    assert.equal(v({ legacyVersion: 0x0300, extensions: null }), 's3');
    assert.equal(v({ legacyVersion: 0x0303, extensions: [ext.supportedVersions([0x1a1a])] }), '00');
    assert.equal(v({ legacyVersion: 0x0305, extensions: [] }), '00');
    // The record's version (0x0301 in inRecords) and the legacy field are ignored with the extension.
    assert.equal(v({ legacyVersion: 0x0301, extensions: [ext.supportedVersions([0x0302])] }), '11');
  });

  it('SNI: d with the extension, i without; counts are capped at 99', () => {
    assert.equal(fp({ extensions: [ext.serverName('x.example')] }).ja4.slice(3, 4), 'd');
    assert.equal(fp({ extensions: [] }).ja4.slice(3, 4), 'i');
    const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
    const f = fp({ cipherSuites: many, extensions: many.map((t) => ext.other(t)) });
    assert.equal(f.ja4.slice(4, 8), '9999');
    assert.equal(f.ja4Raw.split('_')[1]!.split(',').length, 120, 'the lists themselves are not cut');
  });

  it('ALPN: first and last alphanumeric character, else first and last hex digit (JA4.md table)', () => {
    const alpn = (...protocols: Array<number[] | string>) =>
      fp({ extensions: protocols.length ? [ext.alpn(...protocols)] : [] }).ja4.slice(8, 10);
    assert.equal(alpn('h2'), 'h2');
    assert.equal(alpn('http/1.1', 'h2'), 'h1');
    assert.equal(alpn('h'), 'hh', 'a single character is both first and last');
    assert.equal(alpn(), '00');
    assert.equal(alpn([]), '00', 'an empty first value');
    const table: Array<[number[], string]> = [
      [[0xab], 'ab'],
      [[0x20], '20'],
      [[0xab, 0xcd], 'ad'],
      [[0x20, 0x61], '21'],
      [[0x30, 0xab], '3b'],
      [[0x61, 0x20], '60'],
      [[0x30, 0x31, 0xab, 0xcd], '3d'],
      [[0x30, 0xab, 0xcd, 0x31], '01'],
    ];
    for (const [bytes, expected] of table)
      assert.equal(alpn(bytes), expected, Buffer.from(bytes).toString('hex'));
  });

  it('empty lists hash to 000000000000; SNI and ALPN never enter the extension hash', () => {
    const f = fp({ cipherSuites: [0x0a0a], extensions: [ext.serverName('a.example'), ext.alpn('h2')] });
    assert.equal(f.ja4, 't12d0002h2_000000000000_000000000000');
    const sha = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 12);
    const g = fp({ cipherSuites: [0x1301], extensions: [ext.other(0x0017)] });
    assert.equal(g.ja4, `t12i010100_${sha('1301')}_${sha('0017')}`);
  });
});
