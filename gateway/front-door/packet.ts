// One captured frame → the TCP segment it carries, or null. Link layers: Ethernet (with up to two
// VLAN tags), Linux cooked v1 and v2 (`-i any`; Debian 12's tcpdump 4.99 writes v2), raw IP. IPv4
// without fragmentation and IPv6 whose next header is TCP (no extension headers: a TCP ClientHello
// never needs them). Every length is checked against what was captured and against the IP length
// (Ethernet pads short frames); a capture cut by the snap length yields the bytes it has.

import { ipv4Text, ipv6Text } from './ip-text.js';
import { LINKTYPE } from './pcap-stream.js';

export interface TcpSegment {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Sequence number of the payload's first byte (unsigned 32-bit). */
  readonly seq: number;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly payload: Uint8Array;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
const PROTO_TCP = 6;

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

export function decodeFrame(linkType: number, frame: Uint8Array): TcpSegment | null {
  const net = networkLayer(linkType, frame);
  if (!net) return null;
  const { ethertype, at } = net;
  if (ethertype === ETHERTYPE_IPV4) return ipv4(frame, at);
  if (ethertype === ETHERTYPE_IPV6) return ipv6(frame, at);
  return null;
}

/** Where the IP header starts and which protocol it is. */
function networkLayer(linkType: number, f: Uint8Array): { ethertype: number; at: number } | null {
  switch (linkType) {
    case LINKTYPE.EN10MB: {
      let at = 12;
      if (f.length < at + 2) return null;
      let ethertype = u16(f, at);
      for (let tags = 0; VLAN_TAGS.has(ethertype) && tags < 2; tags++) {
        at += 4;
        if (f.length < at + 2) return null;
        ethertype = u16(f, at);
      }
      return { ethertype, at: at + 2 };
    }
    case LINKTYPE.LINUX_SLL:
      return f.length < 16 ? null : { ethertype: u16(f, 14), at: 16 };
    case LINKTYPE.LINUX_SLL2:
      return f.length < 20 ? null : { ethertype: u16(f, 0), at: 20 };
    case LINKTYPE.RAW: {
      const version = (f[0] ?? 0) >> 4;
      if (version === 4) return { ethertype: ETHERTYPE_IPV4, at: 0 };
      if (version === 6) return { ethertype: ETHERTYPE_IPV6, at: 0 };
      return null;
    }
    default:
      return null;
  }
}

function ipv4(f: Uint8Array, at: number): TcpSegment | null {
  if (f.length < at + 20 || f[at]! >> 4 !== 4) return null;
  const headerLen = (f[at]! & 0x0f) * 4;
  const totalLen = u16(f, at + 2);
  // A fragment (more to come, or not the first) cannot be read as a segment on its own.
  if ((u16(f, at + 6) & 0x3fff) !== 0 || f[at + 9] !== PROTO_TCP || headerLen < 20) return null;
  // Total length 0: a segment larger than 64 KiB from GRO/BIG TCP; the capture's end is its end.
  if (totalLen !== 0 && totalLen < headerLen) return null;
  const end = totalLen === 0 ? f.length : Math.min(f.length, at + totalLen);
  const srcIp = ipv4Text(f, at + 12);
  const dstIp = ipv4Text(f, at + 16);
  if (!srcIp || !dstIp) return null;
  return tcp(f, at + headerLen, end, srcIp, dstIp);
}

function ipv6(f: Uint8Array, at: number): TcpSegment | null {
  if (f.length < at + 40 || f[at]! >> 4 !== 6 || f[at + 6] !== PROTO_TCP) return null;
  const payloadLen = u16(f, at + 4);
  const end = Math.min(f.length, at + 40 + payloadLen);
  const srcIp = ipv6Text(f, at + 8);
  const dstIp = ipv6Text(f, at + 24);
  if (!srcIp || !dstIp) return null;
  return tcp(f, at + 40, end, srcIp, dstIp);
}

function tcp(f: Uint8Array, at: number, end: number, srcIp: string, dstIp: string): TcpSegment | null {
  if (end < at + 20) return null;
  const srcPort = u16(f, at);
  const dstPort = u16(f, at + 2);
  const headerLen = (f[at + 12]! >> 4) * 4;
  if (srcPort === 0 || dstPort === 0 || headerLen < 20 || at + headerLen > end) return null;
  const flags = f[at + 13]!;
  return {
    srcIp,
    dstIp,
    srcPort,
    dstPort,
    seq: u32(f, at + 4),
    syn: (flags & 0x02) !== 0,
    fin: (flags & 0x01) !== 0,
    rst: (flags & 0x04) !== 0,
    payload: f.subarray(at + headerLen, end),
  };
}
