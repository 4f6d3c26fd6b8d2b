import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../siem/testing/random-records.js';
import { CLIENT_HELLO_MAX_BYTES, type ClientHelloRead, readClientHello } from './client-hello.js';
import { fingerprintClientHello } from './fingerprints.js';
import { clientHelloMessage, ext, inRecords } from './testing/build-client-hello.js';
import { CLIENT_HELLO_VECTORS } from './testing/client-hello-vectors.js';

const CHROME = Buffer.from(CLIENT_HELLO_VECTORS.find((v) => v.note.startsWith('Chrome:'))!.hex, 'hex');
/** The handshake message inside the vector's single record. */
const CHROME_MESSAGE = CHROME.subarray(5);
const ja4Of = (read: ClientHelloRead) => {
  assert.equal(read.state, 'complete', JSON.stringify(read));
  return read.state === 'complete' ? fingerprintClientHello(read.hello).ja4 : '';
};
const EXPECTED = ja4Of(readClientHello(CHROME));
const problem = (read: ClientHelloRead) => (read.state === 'invalid' ? read.problem : read.state);

describe('readClientHello: records and TCP reads', () => {
  it('the same ClientHello cut into two records at every position', () => {
    for (let cut = 1; cut < CHROME_MESSAGE.length; cut++) {
      assert.equal(ja4Of(readClientHello(inRecords(CHROME_MESSAGE, [cut, 16384]))), EXPECTED, `cut ${cut}`);
    }
  });

  it('in one-byte records, and in records of 3, 100 and 200 bytes', () => {
    for (const sizes of [[1], [3], [100], [200, 7]])
      assert.equal(ja4Of(readClientHello(inRecords(CHROME_MESSAGE, sizes))), EXPECTED, `${sizes}`);
  });

  it('every prefix of the stream is incomplete, never invalid, until the last byte', () => {
    for (const stream of [CHROME, inRecords(CHROME_MESSAGE, [50, 1, 300])]) {
      for (let n = 0; n < stream.length; n++)
        assert.equal(readClientHello(stream.subarray(0, n)).state, 'incomplete', `prefix ${n}`);
      assert.equal(ja4Of(readClientHello(stream)), EXPECTED);
    }
  });

  it('whatever follows the message is not read (early data, a change_cipher_spec record)', () => {
    const after = Buffer.concat([CHROME, Buffer.from([23, 3, 3, 0, 2, 0xff, 0xff]), Buffer.from('junk')]);
    assert.equal(ja4Of(readClientHello(after)), EXPECTED);
    const ccs = Buffer.concat([CHROME, Buffer.from([20, 3, 3, 0, 1, 1])]);
    assert.equal(ja4Of(readClientHello(ccs)), EXPECTED);
  });

  it('a record that carries the message and more handshake bytes', () => {
    const record = inRecords(Buffer.concat([CHROME_MESSAGE, Buffer.from([2, 0, 0, 0])]));
    assert.equal(ja4Of(readClientHello(record)), EXPECTED);
  });
});

describe('readClientHello: refusals', () => {
  it('not TLS: plain HTTP, SSLv2-style hello, an alert or application data first', () => {
    assert.equal(problem(readClientHello(Buffer.from('GET / HTTP/1.1\r\n'))), 'not a TLS handshake');
    assert.equal(
      problem(readClientHello(Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01]))),
      'not a TLS handshake',
    );
    assert.equal(problem(readClientHello(Buffer.from([21, 3, 3, 0, 2, 2, 40]))), 'not a TLS handshake');
    assert.equal(problem(readClientHello(Buffer.from([23]))), 'not a TLS handshake', 'decided on one byte');
    // A handshake record, then something else before the message is whole.
    const split = inRecords(CHROME_MESSAGE, [100]).subarray(0, 105);
    const mixed = Buffer.concat([split, Buffer.from([23, 3, 3, 0, 1, 0])]);
    assert.equal(problem(readClientHello(mixed)), 'not a TLS handshake');
  });

  it('malformed records: a version other than 3.x, an empty or over-long fragment', () => {
    assert.equal(problem(readClientHello(Buffer.from([22, 2]))), 'malformed TLS record');
    assert.equal(problem(readClientHello(Buffer.from([22, 3, 1, 0, 0]))), 'malformed TLS record');
    assert.equal(problem(readClientHello(Buffer.from([22, 3, 1, 0x40, 0x01]))), 'malformed TLS record');
    assert.equal(
      problem(readClientHello(Buffer.from([22, 3, 1, 0x40, 0x00]))),
      'incomplete',
      '2^14 is allowed',
    );
  });

  it('another handshake message first', () => {
    assert.equal(problem(readClientHello(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0]))), 'not a ClientHello');
  });

  it('too large: refused on the announced length alone, before the body arrives', () => {
    const header = (n: number) =>
      Buffer.from([22, 3, 1, 0x40, 0x00, 1, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
    assert.equal(problem(readClientHello(header(CLIENT_HELLO_MAX_BYTES + 1))), 'ClientHello too large');
    assert.equal(problem(readClientHello(header(0xffffff))), 'ClientHello too large');
    assert.equal(problem(readClientHello(header(CLIENT_HELLO_MAX_BYTES))), 'incomplete');
    assert.equal(
      problem(readClientHello(header(600), 512)),
      'ClientHello too large',
      'the cap is a parameter',
    );
    // The header split over two one-byte-ish records is still read for its length.
    const split = Buffer.from([22, 3, 1, 0, 2, 1, 0xff, 22, 3, 1, 0, 2, 0xff, 0xff]);
    assert.equal(problem(readClientHello(split)), 'ClientHello too large');
  });

  it('malformed bodies: each length one too long or too short, bad inner extension lengths', () => {
    const valid = clientHelloMessage({
      extensions: [ext.serverName('a.example'), ext.alpn('h2'), ext.supportedVersions([0x0304])],
    });
    assert.equal(readClientHello(inRecords(valid)).state, 'complete');
    // session id length (offset 4+2+32), cipher length (right after a 32-byte session id).
    const sessionAt = 4 + 2 + 32;
    const cipherAt = sessionAt + 1 + 32;
    for (const [at, delta] of [
      [sessionAt, +1],
      [sessionAt, -1],
      [cipherAt + 1, +1],
      [cipherAt + 1, -1],
      [valid.length - 3, +1], // supported_versions: its list length
    ] as const) {
      const bad = Uint8Array.from(valid);
      bad[at] = (bad[at]! + delta) & 0xff;
      assert.equal(problem(readClientHello(inRecords(bad))), 'malformed ClientHello', `byte ${at} ${delta}`);
    }
    const cases: Array<[string, Parameters<typeof clientHelloMessage>[0]]> = [
      ['session id over 32 bytes', { sessionIdLength: 33 }],
      ['no cipher suite', { cipherSuites: [] }],
      ['groups of odd length', { extensions: [ext.other(0x000a, [0, 3, 0, 0x1d, 0])] }],
      ['versions with a trailing byte', { extensions: [ext.other(0x002b, [2, 3, 4, 9])] }],
      ['ALPN name running past its list', { extensions: [ext.other(0x0010, [0, 3, 5, 0x68, 0x32])] }],
      ['signature algorithms empty body', { extensions: [ext.other(0x000d)] }],
    ];
    for (const [name, spec] of cases)
      assert.equal(
        problem(readClientHello(inRecords(clientHelloMessage(spec)))),
        'malformed ClientHello',
        name,
      );
    // Bytes after the extension block inside the message.
    const trailing = Buffer.concat([valid, Buffer.from([0])]);
    trailing[3] = (trailing[3]! + 1) & 0xff;
    assert.equal(problem(readClientHello(inRecords(trailing))), 'malformed ClientHello');
  });
});

describe('readClientHello: fuzz', () => {
  /** Runs `read` on the bytes alone and embedded in a larger buffer of sentinels: a read past the end
   * would see the sentinels and change the answer. */
  function checkBounded(bytes: Uint8Array): ClientHelloRead {
    const alone = readClientHello(Uint8Array.from(bytes));
    const host = new Uint8Array(bytes.length + 64).fill(0x16);
    host.set(bytes, 32);
    const embedded = readClientHello(host.subarray(32, 32 + bytes.length));
    assert.deepEqual(embedded, alone);
    if (alone.state === 'complete') {
      const f = fingerprintClientHello(alone.hello);
      assert.match(f.ja3, /^[0-9a-f]{32}$/);
      assert.match(f.ja4, /^t(1[0-3]|s[23]|d[1-3]|00)[di]\d{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    }
    return alone;
  }

  it('20 000 random mutations of real ClientHellos never throw and never read out of bounds', () => {
    const rnd = seededRandom(0x7157);
    const int = (n: number) => Math.floor(rnd() * n);
    const seeds = [
      ...CLIENT_HELLO_VECTORS.map((v) => Buffer.from(v.hex, 'hex')),
      inRecords(CHROME_MESSAGE, [37, 200]),
    ];
    const seen = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const bytes = Uint8Array.from(seeds[int(seeds.length)]!);
      let mutated: Uint8Array = bytes;
      const kind = int(5);
      const edits = 1 + int(4);
      for (let e = 0; e < edits; e++) {
        const at = int(mutated.length);
        if (kind === 0) mutated[at] = int(256);
        else if (kind === 1) mutated[at] = mutated[at]! ^ (1 << int(8));
        else if (kind === 2) mutated = mutated.subarray(0, at);
        else if (kind === 3) mutated[at] = [0, 1, 0x7f, 0x80, 0xff][int(5)]!;
        else mutated = Uint8Array.from([...mutated.subarray(0, at), int(256), ...mutated.subarray(at)]);
      }
      const state = problem(checkBounded(mutated));
      seen.set(state, (seen.get(state) ?? 0) + 1);
    }
    // The mutations reached every outcome, so the run exercised more than the first byte.
    for (const outcome of ['complete', 'incomplete', 'malformed ClientHello', 'not a TLS handshake'])
      assert.ok((seen.get(outcome) ?? 0) > 50, `${outcome}: ${JSON.stringify([...seen])}`);
  });

  it('random bytes behind a valid record and handshake header', () => {
    const rnd = seededRandom(0x4a34);
    for (let i = 0; i < 5_000; i++) {
      const n = Math.floor(rnd() * 300);
      const body = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      const message = Uint8Array.from([1, 0, (n >> 8) & 0xff, n & 0xff, ...body]);
      const state = checkBounded(n > 0 ? inRecords(message) : message).state;
      assert.ok(['complete', 'invalid', 'incomplete'].includes(state));
    }
  });
});
