// The pcap reader: both byte orders and timestamp resolutions, records split across chunks at every
// byte, and a stream that breaks its own header's promises stops the reader with a reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LINKTYPE, MAX_RECORD_BYTES, PcapReader } from './pcap-stream.js';
import { pcapStream } from './testing/frames.js';

const frames = [
  Uint8Array.from([1, 2, 3]),
  new Uint8Array(0),
  Uint8Array.from({ length: 1500 }, (_, i) => i & 0xff),
];
const START = 1_796_000_000_123;

describe('PcapReader', () => {
  for (const spec of [
    { linkType: LINKTYPE.EN10MB },
    { linkType: LINKTYPE.LINUX_SLL2, bigEndian: true },
    { linkType: LINKTYPE.LINUX_SLL, nanos: true },
    { linkType: LINKTYPE.RAW, bigEndian: true, nanos: true },
  ] as const) {
    test(`reads ${JSON.stringify(spec)} whole and one byte at a time`, () => {
      const stream = pcapStream(spec, frames, START);
      const whole = new PcapReader().push(stream);
      const r = new PcapReader();
      const bytewise = [...stream].flatMap((b) => r.push(Uint8Array.of(b)));
      for (const got of [whole, bytewise]) {
        assert.deepEqual(
          got.map((x) => [x.tsMs, [...x.data], x.origLen]),
          frames.map((f, i) => [START + i, [...f], f.length]),
        );
      }
      assert.equal(r.fileHeader?.linkType, spec.linkType);
      assert.equal(r.failed, null);
    });
  }

  test('not a pcap stream: stops, says why, reads nothing more', () => {
    const r = new PcapReader();
    assert.deepEqual(r.push(Buffer.from('this is not a capture file at all')), []);
    assert.equal(r.failed, 'not a pcap stream');
    assert.deepEqual(r.push(pcapStream({ linkType: LINKTYPE.EN10MB }, frames)), []);
  });

  test('a record longer than the snap length or the maximum stops the reader', () => {
    for (const snapLen of [100, 0]) {
      const big = new Uint8Array(snapLen === 0 ? MAX_RECORD_BYTES + 1 : 101);
      const r = new PcapReader();
      const got = r.push(
        pcapStream({ linkType: LINKTYPE.EN10MB, snapLen }, [Uint8Array.of(9), big, Uint8Array.of(8)]),
      );
      assert.deepEqual(
        got.map((x) => [...x.data]),
        [[9]],
      );
      assert.equal(r.failed, 'corrupt pcap record');
    }
  });

  test('a fraction of a second out of range stops the reader', () => {
    const stream = pcapStream({ linkType: LINKTYPE.EN10MB }, [Uint8Array.of(1)]);
    stream.writeUInt32LE(1_000_000, 24 + 4);
    const r = new PcapReader();
    assert.deepEqual(r.push(stream), []);
    assert.equal(r.failed, 'corrupt pcap record');
  });
});
