// Synthetic captures for the front-door tests: TCP segments in IPv4 or IPv6, behind each link layer
// tcpdump writes, and the pcap stream around them (either byte order, µs or ns). Test-only.
import { LINKTYPE } from '../pcap-stream.js';

export interface SegmentSpec {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly flags?: { readonly syn?: boolean; readonly fin?: boolean; readonly rst?: boolean };
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function v4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function v6Bytes(ip: string): number[] {
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return groups.flatMap((g) => u16(Number.parseInt(g, 16)));
}

function tcpHeader(s: SegmentSpec): number[] {
  const flags = (s.flags?.syn ? 0x02 : 0) | (s.flags?.fin ? 0x01 : 0) | (s.flags?.rst ? 0x04 : 0) | 0x18;
  // 32-byte header (timestamps option, as Linux sends), checksum left zero: nothing here checks it.
  return [
    ...u16(s.srcPort),
    ...u16(s.dstPort),
    ...u32(s.seq),
    ...u32(1),
    0x80,
    flags,
    ...u16(65535),
    0,
    0,
    0,
    0,
    1,
    1,
    8,
    10,
    ...u32(1),
    ...u32(2),
  ];
}

/** The IP packet carrying the segment. */
export function ipPacket(s: SegmentSpec): Uint8Array {
  const tcp = [...tcpHeader(s), ...s.payload];
  if (s.src.includes(':')) {
    return Uint8Array.from([
      0x60,
      0,
      0,
      0,
      ...u16(tcp.length),
      6,
      64,
      ...v6Bytes(s.src),
      ...v6Bytes(s.dst),
      ...tcp,
    ]);
  }
  const total = 20 + tcp.length;
  return Uint8Array.from([
    0x45,
    0,
    ...u16(total),
    0,
    1,
    0x40, // don't fragment
    0,
    64,
    6,
    0,
    0,
    ...v4Bytes(s.src),
    ...v4Bytes(s.dst),
    ...tcp,
  ]);
}

export type LinkType = (typeof LINKTYPE)[keyof typeof LINKTYPE];

/** The packet behind a link header of `linkType` (Ethernet optionally VLAN-tagged and padded to 60). */
export function frame(linkType: LinkType, packet: Uint8Array, opts: { vlan?: boolean } = {}): Uint8Array {
  const ethertype = packet[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  switch (linkType) {
    case LINKTYPE.EN10MB: {
      const head = [
        ...new Array<number>(12).fill(2),
        ...(opts.vlan ? [0x81, 0x00, 0, 5] : []),
        ...u16(ethertype),
      ];
      const bytes = [...head, ...packet];
      while (bytes.length < 60) bytes.push(0); // Ethernet padding: not payload
      return Uint8Array.from(bytes);
    }
    case LINKTYPE.LINUX_SLL:
      return Uint8Array.from([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...u16(ethertype), ...packet]);
    case LINKTYPE.LINUX_SLL2:
      return Uint8Array.from([
        ...u16(ethertype),
        0,
        0,
        0,
        0,
        0,
        1,
        0,
        1,
        0,
        6,
        1,
        2,
        3,
        4,
        5,
        6,
        0,
        0,
        ...packet,
      ]);
    case LINKTYPE.RAW:
      return packet;
  }
}

export interface PcapSpec {
  readonly linkType: LinkType;
  readonly bigEndian?: boolean;
  readonly nanos?: boolean;
  readonly snapLen?: number;
}

/** A whole pcap stream: the file header and one record per frame, 1 ms apart from `startMs`. */
export function pcapStream(
  spec: PcapSpec,
  frames: readonly Uint8Array[],
  startMs = 1_796_000_000_000,
): Buffer {
  const w32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (spec.bigEndian) b.writeUInt32BE(n >>> 0);
    else b.writeUInt32LE(n >>> 0);
    return b;
  };
  const w16 = (n: number) => {
    const b = Buffer.alloc(2);
    if (spec.bigEndian) b.writeUInt16BE(n);
    else b.writeUInt16LE(n);
    return b;
  };
  const parts = [
    w32(spec.nanos ? 0xa1b23c4d : 0xa1b2c3d4),
    w16(2),
    w16(4),
    w32(0),
    w32(0),
    w32(spec.snapLen ?? 262_144),
    w32(spec.linkType),
  ];
  for (const [i, f] of frames.entries()) {
    const ms = startMs + i;
    parts.push(
      w32(Math.floor(ms / 1000)),
      w32((ms % 1000) * (spec.nanos ? 1e6 : 1e3)),
      w32(f.length),
      w32(f.length),
      Buffer.from(f),
    );
  }
  return Buffer.concat(parts);
}

/** `bytes` as TCP payloads of at most `mss` bytes each, with their sequence numbers. */
export function segmentsOf(
  bytes: Uint8Array,
  isn: number,
  mss: number,
): { seq: number; payload: Uint8Array }[] {
  const out: { seq: number; payload: Uint8Array }[] = [];
  for (let at = 0; at < bytes.length; at += mss) {
    out.push({ seq: (isn + 1 + at) >>> 0, payload: bytes.subarray(at, at + mss) });
  }
  return out;
}
