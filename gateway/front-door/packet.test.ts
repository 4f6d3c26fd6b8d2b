// Frames → TCP segments: every link layer tcpdump writes on Linux, IPv4 and IPv6, Ethernet padding
// left out of the payload, and what is not one whole TCP segment header (fragments, other protocols,
// IPv6 extension headers, cut headers, lengths that lie) is no segment at all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeFrame } from './packet.js';
import { LINKTYPE } from './pcap-stream.js';
import { frame, ipPacket, type LinkType, type SegmentSpec } from './testing/frames.js';

const payload = Uint8Array.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5]);
const v4: SegmentSpec = {
  src: '198.51.100.7',
  dst: '203.0.113.10',
  srcPort: 50123,
  dstPort: 443,
  seq: 0xfffffff0,
  payload,
};
const v6: SegmentSpec = { ...v4, src: '2001:db8:0:0:0:0:0:7', dst: 'fe80::1' };
const LINKS: readonly LinkType[] = [LINKTYPE.EN10MB, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.RAW];

describe('decodeFrame', () => {
  for (const link of LINKS) {
    for (const spec of [v4, v6]) {
      test(`link type ${link}, ${spec.src.includes(':') ? 'IPv6' : 'IPv4'}`, () => {
        const s = decodeFrame(link, frame(link, ipPacket(spec)));
        assert.deepEqual(s && { ...s, payload: [...s.payload] }, {
          srcIp: spec.src.includes(':') ? '2001:db8::7' : spec.src,
          dstIp: spec.src.includes(':') ? 'fe80::1' : spec.dst,
          srcPort: 50123,
          dstPort: 443,
          seq: 0xfffffff0,
          syn: false,
          fin: false,
          rst: false,
          payload: [...payload],
        });
      });
    }
  }

  test('a VLAN tag is skipped; Ethernet padding is not payload', () => {
    const tiny = { ...v4, payload: Uint8Array.of(0x16) };
    const s = decodeFrame(LINKTYPE.EN10MB, frame(LINKTYPE.EN10MB, ipPacket(tiny), { vlan: true }));
    assert.deepEqual(s && [...s.payload], [0x16]);
  });

  test('flags are read', () => {
    const s = decodeFrame(LINKTYPE.RAW, ipPacket({ ...v4, flags: { syn: true, fin: true, rst: true } }));
    assert.deepEqual(s && [s.syn, s.fin, s.rst], [true, true, true]);
  });

  test('a capture cut by the snap length gives the bytes it has', () => {
    const whole = ipPacket(v4);
    const s = decodeFrame(LINKTYPE.RAW, whole.subarray(0, whole.length - 4));
    assert.deepEqual(s && [...s.payload], [...payload.subarray(0, payload.length - 4)]);
  });

  test('not a segment: fragments, UDP, extension headers, unknown links, cut headers, lying lengths', () => {
    const p = ipPacket(v4);
    const mutate = (at: number, value: number, packet = p) => {
      const copy = Uint8Array.from(packet);
      copy[at] = value;
      return copy;
    };
    const none = [
      mutate(6, 0x20), // more fragments
      mutate(7, 0x08), // not the first fragment
      mutate(9, 17), // UDP
      mutate(0, 0x44), // IHL 4
      mutate(3, 10), // total length below the header
      mutate(32, 0x40), // TCP header length 16
      mutate(6, 0, ipPacket(v6)), // IPv6 next header: hop-by-hop options
      p.subarray(0, 39), // TCP header cut
      Uint8Array.of(0x45),
      new Uint8Array(0),
    ];
    for (const [i, bytes] of none.entries())
      assert.equal(decodeFrame(LINKTYPE.RAW, bytes), null, `case ${i}`);
    const zeroPort = Uint8Array.from(p);
    zeroPort[20] = 0;
    zeroPort[21] = 0;
    assert.equal(decodeFrame(LINKTYPE.RAW, zeroPort), null);
    assert.equal(decodeFrame(147, p), null);
    assert.equal(decodeFrame(LINKTYPE.LINUX_SLL2, frame(LINKTYPE.LINUX_SLL2, p).subarray(0, 19)), null);
    // ARP behind Ethernet.
    const arp = frame(LINKTYPE.EN10MB, p);
    arp[12] = 0x08;
    arp[13] = 0x06;
    assert.equal(decodeFrame(LINKTYPE.EN10MB, arp), null);
  });
});
