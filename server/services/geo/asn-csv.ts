// The AS table of @ip-location-db/asn, which ships CSV only (its MMDB sibling is not on the
// registry): `asn-ipv4-num.csv` and `asn-ipv6-num.csv`, one inclusive range per line,
//   ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization
// with the addresses as decimal numbers and the organisation quoted CSV-style when it holds a comma
// or a quote. Rows are sorted by start; where two overlap (one pair in 400 000) the later one wins
// from its start on. Loaded into typed arrays (about 12 MB for both files); a lookup is a binary
// search returning the record in MaxMind's ASN layout, so geoip.ts reads it like an MMDB record.
import { addressNumber } from './address-number.js';

export interface AsnTable {
  readonly rows: number;
  lookup(ip: string): Record<string, unknown> | null;
}

const U64 = (1n << 64n) - 1n;

interface Columns {
  count: number;
  readonly orgIndex: Int32Array;
  readonly asn: Uint32Array;
}

const DIGITS = /^\d{1,39}$/;

/**
 * Calls `row` with each line's fields (numbers still text: IPv4 parses them as numbers, IPv6 as
 * bigints). Throws a plain Error naming the table and line on anything malformed; the caller wraps it.
 */
function eachRow(
  text: string,
  name: string,
  row: (start: string, end: string, asn: number, org: string, line: number) => void,
): void {
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    const c = line.indexOf(',', b + 1);
    const s = line.slice(0, a);
    const e = line.slice(a + 1, b);
    const n = Number(line.slice(b + 1, c));
    if (
      a < 1 ||
      b < 0 ||
      c < 0 ||
      !DIGITS.test(s) ||
      !DIGITS.test(e) ||
      !Number.isInteger(n) ||
      n < 0 ||
      n > 0xffff_ffff
    )
      throw new Error(`${name} line ${lineNo}: malformed`);
    let org = line.charCodeAt(line.length - 1) === 13 ? line.slice(c + 1, -1) : line.slice(c + 1);
    if (org.length >= 2 && org.startsWith('"') && org.endsWith('"'))
      org = org.slice(1, -1).replaceAll('""', '"');
    row(s, e, n, org, lineNo);
  }
}

function orgTable() {
  const names: string[] = [];
  const index = new Map<string, number>();
  return {
    names,
    add(org: string): number {
      let i = index.get(org);
      if (i === undefined) {
        i = names.length;
        names.push(org);
        index.set(org, i);
      }
      return i;
    },
  };
}

/** Index of the last row whose start ≤ address, or -1. */
function lastAtOrBelow(count: number, startAbove: (i: number) => boolean): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startAbove(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

export function parseAsnCsv(v4Text: string, v6Text: string): AsnTable {
  const orgs = orgTable();
  const lines = (t: string) => t.split('\n').length;
  const n4 = lines(v4Text);
  const v4 = { start: new Uint32Array(n4), end: new Uint32Array(n4) };
  const c4: Columns = { count: 0, orgIndex: new Int32Array(n4), asn: new Uint32Array(n4) };
  eachRow(v4Text, 'IPv4 table', (s, e, asn, org, line) => {
    const [start, end] = [Number(s), Number(e)];
    const i = c4.count;
    if (end < start) throw new Error(`IPv4 table line ${line}: malformed`);
    if (end > 0xffff_ffff) throw new Error(`IPv4 table line ${line}: beyond 32 bits`);
    if (i > 0 && start < (v4.start[i - 1] ?? 0)) throw new Error(`IPv4 table line ${line}: not sorted`);
    v4.start[i] = start;
    v4.end[i] = end;
    c4.asn[i] = asn;
    c4.orgIndex[i] = orgs.add(org);
    c4.count++;
  });
  const n6 = lines(v6Text);
  const v6 = {
    startHi: new BigUint64Array(n6),
    startLo: new BigUint64Array(n6),
    endHi: new BigUint64Array(n6),
    endLo: new BigUint64Array(n6),
  };
  const c6: Columns = { count: 0, orgIndex: new Int32Array(n6), asn: new Uint32Array(n6) };
  let previous = -1n;
  eachRow(v6Text, 'IPv6 table', (s, e, asn, org, line) => {
    const [start, end] = [BigInt(s), BigInt(e)];
    const i = c6.count;
    if (end < start) throw new Error(`IPv6 table line ${line}: malformed`);
    if (end >> 128n) throw new Error(`IPv6 table line ${line}: beyond 128 bits`);
    if (start < previous) throw new Error(`IPv6 table line ${line}: not sorted`);
    previous = start;
    v6.startHi[i] = start >> 64n;
    v6.startLo[i] = start & U64;
    v6.endHi[i] = end >> 64n;
    v6.endLo[i] = end & U64;
    c6.asn[i] = asn;
    c6.orgIndex[i] = orgs.add(org);
    c6.count++;
  });
  const record = (c: Columns, i: number) => ({
    autonomous_system_number: c.asn[i],
    autonomous_system_organization: orgs.names[c.orgIndex[i] ?? -1] ?? '',
  });
  return {
    rows: c4.count + c6.count,
    lookup(ip) {
      const address = addressNumber(ip);
      if (!address) return null;
      if (address.version === 4) {
        const x = Number(address.value);
        const i = lastAtOrBelow(c4.count, (k) => (v4.start[k] ?? 0) > x);
        return i >= 0 && (v4.end[i] ?? -1) >= x ? record(c4, i) : null;
      }
      const value = address.value;
      const at = (hi: BigUint64Array, lo: BigUint64Array, k: number) =>
        ((hi[k] ?? 0n) << 64n) | (lo[k] ?? 0n);
      const i = lastAtOrBelow(c6.count, (k) => at(v6.startHi, v6.startLo, k) > value);
      return i >= 0 && at(v6.endHi, v6.endLo, i) >= value ? record(c6, i) : null;
    },
  };
}
