// Addresses from packet bytes as text, in the form the hello line carries (core/tls/front-door-hello.ts
// canonicalIp): every result is checked with node:net isIP, so nothing that is not an address leaves.
import { isIP } from 'node:net';
import { canonicalIp } from '../../core/tls/front-door-hello.js';

export function ipv4Text(b: Uint8Array, at: number): string | null {
  if (at + 4 > b.length) return null;
  const text = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  return isIP(text) === 4 ? text : null;
}

export function ipv6Text(b: Uint8Array, at: number): string | null {
  if (at + 16 > b.length) return null;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
  return canonicalIp(groups.join(':'));
}
