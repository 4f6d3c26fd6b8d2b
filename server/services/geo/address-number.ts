// Addresses and CIDR ranges as numbers, for the range tables (extra-ranges.ts, asn-csv.ts). Pure.
import { isIPv4, isIPv6 } from 'node:net';

export interface AddressNumber {
  readonly version: 4 | 6;
  /** 32 bits for IPv4, 128 bits for IPv6. */
  readonly value: bigint;
}

export const bitsOf = (version: 4 | 6): number => (version === 4 ? 32 : 128);

function v4Value(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6Value(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:192.0.2.1, 64:ff9b::192.0.2.1) becomes two groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted?.[1] && dotted[2]) {
    const v4 = v4Value(dotted[2]);
    text = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** The address as a number, or null when it is not an IPv4 or IPv6 address (a zone id is dropped). */
export function addressNumber(ip: string): AddressNumber | null {
  const address = ip.replace(/%.*$/, '');
  if (isIPv4(address)) return { version: 4, value: v4Value(address) };
  if (isIPv6(address)) return { version: 6, value: v6Value(address) };
  return null;
}

export interface CidrRange extends AddressNumber {
  readonly prefix: number;
}

/**
 * `10.99.0.0/16` or `2001:db8::/32` → network number and prefix length. Refused (a reason): no
 * prefix, a prefix out of range, host bits set, an IPv4-mapped IPv6 range (write it as IPv4).
 */
export function parseCidr(cidr: string): CidrRange | string {
  const m = /^([0-9A-Fa-f.:]+)\/(\d{1,3})$/.exec(cidr);
  if (!m?.[1] || !m[2]) return 'not a CIDR range (address/prefix)';
  const net = addressNumber(m[1]);
  if (!net) return 'not an IPv4 or IPv6 address';
  if (net.version === 6 && /^::ffff:/i.test(m[1]) && m[1].includes('.'))
    return 'IPv4-mapped range: write it as IPv4';
  const prefix = Number(m[2]);
  const bits = bitsOf(net.version);
  if (prefix > bits) return `prefix longer than ${bits} bits`;
  if (net.value & hostMask(net.version, prefix)) return 'host bits set';
  return { ...net, prefix };
}

/** The bits below a prefix. */
export function hostMask(version: 4 | 6, prefix: number): bigint {
  return (1n << BigInt(bitsOf(version) - prefix)) - 1n;
}
