// Reassembly of ClientHellos from segments: split, duplicated, out of order, across the sequence
// wrap, in a Fast Open SYN; one hello per connection (a retried hello is not a second connection);
// and the bounds: bytes per connection, connections followed, idle expiry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fingerprintClientHello } from '../../core/tls/fingerprints.js';
import { clientHelloMessage, ext, inRecords } from '../../core/tls/testing/build-client-hello.js';
import { CLIENT_HELLO_VECTORS } from '../../core/tls/testing/client-hello-vectors.js';
import { FLOW_MAX_BYTES, HelloAssembler } from './flows.js';
import type { TcpSegment } from './packet.js';
import { segmentsOf } from './testing/frames.js';

const PORT = 443;
const firefox = Buffer.from(CLIENT_HELLO_VECTORS[0]!.hex, 'hex');
const seg = (
  srcPort: number,
  seq: number,
  payload: Uint8Array,
  more: Partial<TcpSegment> = {},
): TcpSegment => ({
  srcIp: '198.51.100.7',
  dstIp: '203.0.113.10',
  srcPort,
  dstPort: PORT,
  seq,
  syn: false,
  fin: false,
  rst: false,
  payload,
  ...more,
});

/** Feeds segments in the given order; returns the ja4 of every hello that came out. */
function feed(a: HelloAssembler, segments: readonly TcpSegment[], t0 = 1000): string[] {
  const out: string[] = [];
  for (const [i, s] of segments.entries()) {
    const seen = a.segment(s, t0 + i);
    if (seen) out.push(fingerprintClientHello(seen.hello).ja4);
  }
  return out;
}

describe('HelloAssembler', () => {
  const vector = CLIENT_HELLO_VECTORS[0]!;
  const ja4 = vector.specJa4 ?? vector.ja4;

  test('one segment; many small ones; across the sequence wrap', () => {
    for (const [mss, isn] of [
      [1460, 1000],
      [7, 5000],
      [100, 0xffffffff - 250],
    ] as const) {
      const a = new HelloAssembler(PORT);
      const parts = segmentsOf(firefox, isn, mss).map((p) => seg(40000, p.seq, p.payload));
      assert.deepEqual(feed(a, parts), [ja4], `mss ${mss}`);
      assert.deepEqual(a.size, { collecting: 0, done: 1 });
    }
  });

  test('duplicates, overlaps and reordering after the first segment', () => {
    const a = new HelloAssembler(PORT);
    const parts = segmentsOf(firefox, 77, 64).map((p) => seg(40001, p.seq, p.payload));
    const [first, ...rest] = parts;
    const overlap = seg(40001, 77 + 1 + 50, firefox.subarray(50, 200));
    const shuffled = [first!, first!, ...rest.reverse(), overlap];
    assert.deepEqual(feed(a, shuffled), [ja4]);
  });

  test('a second connection from the same address is its own; the one hello per connection', () => {
    const a = new HelloAssembler(PORT);
    const one = seg(40002, 10, firefox);
    // The rest of the same connection — its next records, even one that looks like a ClientHello
    // (after a HelloRetryRequest) — makes no second line.
    assert.deepEqual(feed(a, [one, seg(40002, 10 + firefox.length, firefox), seg(40003, 99, firefox)]), [
      ja4,
      ja4,
    ]);
  });

  test('a Fast Open SYN carries the hello from ISN + 1', () => {
    const a = new HelloAssembler(PORT);
    const half = 200;
    const syn = seg(40004, 500, firefox.subarray(0, half), { syn: true });
    assert.deepEqual(feed(a, [syn, seg(40004, 501 + half, firefox.subarray(half))]), [ja4]);
  });

  test('what is not followed: other ports, a first segment that is not a handshake record, no hello', () => {
    const a = new HelloAssembler(PORT);
    assert.deepEqual(
      feed(a, [
        { ...seg(40005, 1, firefox), dstPort: 8443 },
        seg(40006, 1, firefox.subarray(10)), // the middle of a stream
        seg(40007, 1, Buffer.from('GET / HTTP/1.1\r\n\r\n')),
        seg(40008, 1, Uint8Array.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0])), // a ServerHello
      ]),
      [],
    );
    assert.deepEqual(a.size, { collecting: 0, done: 1 });
  });

  test('a hello larger than the cap ends the connection without a line; its bytes stay bounded', () => {
    const a = new HelloAssembler(PORT);
    // Announces a 15 KiB hello and never completes it: read up to the cap, no more.
    const big = inRecords(clientHelloMessage({ extensions: [[0xffce, new Uint8Array(15_000)]] }));
    const truncated = big.subarray(0, big.length - 1);
    assert.deepEqual(
      feed(
        a,
        segmentsOf(truncated, 1, 1400).map((p) => seg(40009, p.seq, p.payload)),
      ),
      [],
    );
    assert.equal(a.size.collecting, 1);
    const over = Uint8Array.from([0x16, 3, 1, 0x40, 0, 1, 0, 0x40, 4]); // 16 KiB + 4 announced: refused at once
    assert.deepEqual(feed(a, [seg(40010, 1, over)]), []);
    assert.deepEqual(a.size, { collecting: 1, done: 1 });
    assert.ok(FLOW_MAX_BYTES < 17 * 1024);
    // A segment far past the cap changes nothing.
    assert.deepEqual(feed(a, [seg(40009, 2 + FLOW_MAX_BYTES, firefox)]), []);
  });

  test('the number of connections is bounded; idle ones are forgotten', () => {
    const a = new HelloAssembler(PORT, { maxCollecting: 3, maxDone: 2, idleMs: 5000 });
    const head = firefox.subarray(0, 100);
    for (let p = 1; p <= 5; p++) a.segment(seg(41000 + p, 1, head), 1000 + p);
    assert.equal(a.size.collecting, 3);
    // The oldest (41001, 41002) were dropped: their rest makes no hello; 41005's does.
    assert.deepEqual(
      feed(a, [seg(41001, 101, firefox.subarray(100)), seg(41005, 101, firefox.subarray(100))], 2000),
      [ja4],
    );
    for (let p = 6; p <= 8; p++) feed(a, [seg(41000 + p, 1, firefox)], 3000 + p);
    assert.equal(a.size.done, 2);
    a.segment(seg(42000, 1, Buffer.from('x')), 20_000);
    assert.deepEqual(a.size, { collecting: 0, done: 0 });
  });

  test('a synthetic hello with SNI and the fingerprint core/tls computes', () => {
    const a = new HelloAssembler(PORT);
    const hello = inRecords(
      clientHelloMessage({
        cipherSuites: [0x1302, 0x1303],
        extensions: [ext.serverName('gw.example'), ext.supportedVersions([0x0304])],
      }),
      [50],
    );
    const seen = a.segment(seg(40011, 9, hello), 5);
    assert.ok(seen);
    assert.match(fingerprintClientHello(seen.hello).ja4, /^t13d0202/);
    assert.deepEqual([seen.srcIp, seen.srcPort, seen.dstPort, seen.tsMs], ['198.51.100.7', 40011, PORT, 5]);
  });
});
