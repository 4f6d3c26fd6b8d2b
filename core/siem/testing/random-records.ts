// Random valid shipped records for the format property tests and the transport tests: every one of
// the 30 event fields, each null about a third of the time where the schema allows it, and the two
// extension fields (gateway, tls_ja4) each absent about half of the time (never null); values drawn
// across the schema's whole range (printable ASCII with quotes, backslashes, dots and colons; ports
// 0..65535; 32-bit AS numbers; timestamps from year 0 to 9999). A fixed seed, so a failure replays.
import { createHash } from 'node:crypto';
import {
  AUDIT_COMPONENTS,
  AUDIT_RESULTS,
  AUDIT_SEVERITIES,
  type AuditEvent,
  parseAuditEvent,
} from '../../audit/event.js';
import { ACTION_CLASSES } from '../actions.js';
import type { ShippedRecord } from '../native.js';

/** Uniform floats in [0, 1) from a seed (mulberry32); for tests only. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const HEX = '0123456789abcdef';
/** 0000-01-01T00:00:00.000Z (Date.UTC would read year 0 as 1900). */
const EARLIEST_MS = -62_167_219_200_000;
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function randomRecords(count: number, seed = 0x5eed): ShippedRecord[] {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const maybe = <T>(make: () => T): T | null => (rnd() < 0.33 ? null : make());
  /** An extension field: absent (not null) about half of the time. */
  const extension = <K extends string, T>(key: K, make: () => T): { [P in K]?: T } =>
    (rnd() < 0.5 ? {} : { [key]: make() }) as { [P in K]?: T };
  const text = (min: number, max: number, alphabet = PRINTABLE) =>
    Array.from({ length: int(min, max) }, () => pick([...alphabet])).join('');
  const ipv4 = () => Array.from({ length: 4 }, () => int(0, 255)).join('.');
  const ipv6 = () => Array.from({ length: 8 }, () => int(0, 0xffff).toString(16)).join(':');
  const ip = () => (rnd() < 0.5 ? ipv4() : ipv6());
  const count64 = () => (rnd() < 0.5 ? int(0, 10_000_000) : int(0, Number.MAX_SAFE_INTEGER));
  const knownActions = Object.keys(ACTION_CLASSES);
  const action = () =>
    rnd() < 0.6
      ? pick(knownActions)
      : `${text(1, 1, 'abcdefghijklmnopqrstuvwxyz')}${text(0, 10, 'abcdefghijklmnopqrstuvwxyz0123456789_')}.${text(1, 1, 'abcdefghijklmnopqrstuvwxyz')}${text(0, 20, 'abcdefghijklmnopqrstuvwxyz0123456789_')}`;

  const records: ShippedRecord[] = [];
  let prevHash = '0'.repeat(64);
  for (let i = 0; i < count; i++) {
    const event: AuditEvent = {
      timestamp: new Date(int(EARLIEST_MS, LATEST_MS)).toISOString(),
      env: text(1, 32),
      site: text(1, 64),
      tenant_id: text(1, 64),
      user_id: maybe(() => `u-${text(24, 24, HEX)}`),
      device_id: maybe(() => text(1, 80)),
      session_id: maybe(() => text(1, 80)),
      src_ip: maybe(ip),
      src_port: maybe(() => int(0, 65535)),
      dst_ip: maybe(ip),
      dst_port: maybe(() => int(0, 65535)),
      proto: maybe(() => text(1, 16)),
      asn: maybe(() => int(0, 4294967295)),
      country: maybe(() => text(2, 2, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')),
      component: pick(AUDIT_COMPONENTS),
      action: action(),
      result: pick(AUDIT_RESULTS),
      severity: pick(AUDIT_SEVERITIES),
      fwknop_id: maybe(() => text(1, 80)),
      tls_ja3: maybe(() => text(32, 32, HEX)),
      ovpn_virtual_ip: maybe(ip),
      policy_id: maybe(() => text(1, 80)),
      trace_id: maybe(() => text(8, 64, 'ABCXYZabcxyz0189-')),
      cmd: maybe(() => text(1, 64)),
      rc: maybe(() => int(-255, 255)),
      bytes_in: maybe(count64),
      bytes_out: maybe(count64),
      duration_ms: maybe(count64),
      error_code: maybe(() => `VIW_E_${text(1, 20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_')}`),
      error_msg: maybe(() => text(1, 256)),
      ...extension('gateway', () => text(1, 64)),
      ...extension(
        'tls_ja4',
        () =>
          `${pick(['t', 'q', 'd'])}${text(1, 1, '0123456789s')}${int(0, 9)}${pick(['d', 'i'])}` +
          `${text(4, 4, '0123456789')}${text(2, 2, 'abcxyzABCXYZ0189')}_${text(12, 12, HEX)}_${text(12, 12, HEX)}`,
      ),
    };
    // Only valid events: a generator drifting from the schema would test nothing.
    parseAuditEvent(event);
    const hash = createHash('sha256').update(prevHash).update(JSON.stringify(event)).digest('hex');
    records.push({ seq: i + 1 + int(0, 3) * 1_000_000_000, hash, prevHash, event });
    prevHash = hash;
  }
  return records;
}
