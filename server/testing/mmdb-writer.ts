// A minimal MaxMind DB (MMDB) writer for tests: real, valid database files in the layouts of
// GeoLite2-Country and GeoLite2-ASN (and ip-location-db's and IPinfo's), written by the test itself
// so no data is ever downloaded.
//
// Format reference: "MaxMind DB File Format Specification", version 2.0
// (https://maxmind.github.io/MaxMind-DB/). What is written:
//   search tree    node_count nodes of two 24-bit big-endian records (left = bit 0, right = bit 1);
//                  a record < node_count is a node, = node_count "no data", > node_count points
//                  into the data section at (record − node_count − 16)
//   separator      16 zero bytes
//   data section   one encoded value per network (maps, UTF-8 strings, uint32, doubles, …)
//   metadata       "\xAB\xCD\xEFMaxMind.com" then a map: node_count, record_size, ip_version,
//                  database_type, languages, binary_format_{major,minor}_version, build_epoch,
//                  description
// IPv4 networks in an IPv6 tree sit under ::/96, where readers look for them. Networks must not
// overlap (enough for fixtures; a real writer merges them).
import { isIPv4, isIPv6 } from 'node:net';

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `203.0.113.0/24` or `2001:db8::/32`. */
  readonly cidr: string;
  readonly data: { [key: string]: MmdbValue };
}

export interface MmdbOptions {
  readonly databaseType: string;
  readonly ipVersion?: 4 | 6;
  readonly description?: string;
  readonly buildEpoch?: number;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const RECORD_BITS = 24;

const T = { string: 2, double: 3, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 };

function control(type: number, size: number): Buffer {
  const typeBits = type <= 7 ? type << 5 : 0;
  const extended = type > 7 ? [type - 7] : [];
  if (size < 29) return Buffer.from([typeBits | size, ...extended]);
  if (size < 285) return Buffer.from([typeBits | 29, ...extended, size - 29]);
  if (size < 65_821) {
    const n = size - 285;
    return Buffer.from([typeBits | 30, ...extended, n >> 8, n & 0xff]);
  }
  const n = size - 65_821;
  return Buffer.from([typeBits | 31, ...extended, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

function uint(type: number, value: bigint): Buffer {
  let hex = value.toString(16);
  if (value === 0n) hex = '';
  else if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.concat([control(type, bytes.length), bytes]);
}

/** One value in the data section encoding (spec: "Output Data Section"). */
export function encodeValue(value: MmdbValue, type?: 'uint16' | 'uint64'): Buffer {
  if (type) return uint(T[type], BigInt(value as number | bigint));
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(T.string, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(T.boolean, value ? 1 : 0);
  if (typeof value === 'bigint') return uint(T.uint64, value);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) return uint(T.uint32, BigInt(value));
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(T.double, 8), bytes]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([control(T.array, value.length), ...value.map((v) => encodeValue(v))]);
  }
  const entries = Object.entries(value);
  return Buffer.concat([
    control(T.map, entries.length),
    ...entries.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)]),
  ]);
}

interface TrieNode {
  children: [TrieNode | number | null, TrieNode | number | null];
}

/** The network's address bits and prefix length in a tree of `ipVersion`. */
function networkBits(cidr: string, ipVersion: 4 | 6): { bits: number[]; prefix: number } {
  const [address = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  let bytes: number[];
  let offset = 0;
  if (isIPv4(address)) {
    bytes = address.split('.').map(Number);
    if (ipVersion === 6) {
      bytes = [...new Array<number>(12).fill(0), ...bytes];
      offset = 96;
    }
  } else if (isIPv6(address) && ipVersion === 6) {
    bytes = ipv6Bytes(address);
  } else {
    throw new Error(`mmdb-writer: ${cidr} does not fit an IPv${ipVersion} tree`);
  }
  const bits = bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix + offset > bits.length) {
    throw new Error(`mmdb-writer: bad prefix in ${cidr}`);
  }
  return { bits, prefix: prefix + offset };
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** A complete MMDB file holding `networks`. */
export function writeMmdb(networks: readonly MmdbNetwork[], opts: MmdbOptions): Buffer {
  const ipVersion = opts.ipVersion ?? 6;
  const root: TrieNode = { children: [null, null] };
  const data: Buffer[] = [];
  let dataSize = 0;
  for (const net of networks) {
    const { bits, prefix } = networkBits(net.cidr, ipVersion);
    const encoded = encodeValue(net.data);
    const leaf = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    const overlap = () => new Error(`mmdb-writer: ${net.cidr} overlaps another network`);
    if (prefix === 0) throw overlap();
    let node = root;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const bit = bits[depth] as 0 | 1;
      const next = node.children[bit];
      if (typeof next === 'number') throw overlap();
      if (next) node = next;
      else {
        const created: TrieNode = { children: [null, null] };
        node.children[bit] = created;
        node = created;
      }
    }
    const last = bits[prefix - 1] as 0 | 1;
    if (node.children[last] !== null) throw overlap();
    node.children[last] = leaf;
  }
  // Number the nodes breadth-first: the root is node 0.
  const order: TrieNode[] = [root];
  for (let i = 0; i < order.length; i++) {
    for (const child of (order[i] as TrieNode).children)
      if (child && typeof child === 'object') order.push(child);
  }
  const nodeCount = order.length;
  const index = new Map(order.map((n, i) => [n, i]));
  const recordValue = (r: TrieNode | number | null): number =>
    r === null ? nodeCount : typeof r === 'number' ? nodeCount + 16 + r : (index.get(r) as number);
  if (nodeCount + 16 + dataSize >= 2 ** RECORD_BITS)
    throw new Error('mmdb-writer: too large for 24-bit records');
  const tree = Buffer.alloc(nodeCount * 6);
  order.forEach((n, i) => {
    tree.writeUIntBE(recordValue(n.children[0]), i * 6, 3);
    tree.writeUIntBE(recordValue(n.children[1]), i * 6 + 3, 3);
  });
  const meta: Array<[string, Buffer]> = [
    ['node_count', encodeValue(nodeCount)],
    ['record_size', encodeValue(RECORD_BITS, 'uint16')],
    ['ip_version', encodeValue(ipVersion, 'uint16')],
    ['database_type', encodeValue(opts.databaseType)],
    ['languages', encodeValue(['en'])],
    ['binary_format_major_version', encodeValue(2, 'uint16')],
    ['binary_format_minor_version', encodeValue(0, 'uint16')],
    ['build_epoch', encodeValue(BigInt(opts.buildEpoch ?? 1_780_000_000), 'uint64')],
    ['description', encodeValue({ en: opts.description ?? `${opts.databaseType} test fixture` })],
  ];
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    METADATA_MARKER,
    control(T.map, meta.length),
    ...meta.flatMap(([k, v]) => [encodeValue(k), v]),
  ]);
}

/** A record in GeoLite2-Country's layout. */
export function countryRecord(isoCode: string, name: string): { [key: string]: MmdbValue } {
  const country = { geoname_id: 1, iso_code: isoCode, names: { en: name } };
  return { country, registered_country: country };
}

/** A record in GeoLite2-ASN's layout. */
export function asnRecord(asn: number, organization: string): { [key: string]: MmdbValue } {
  return { autonomous_system_number: asn, autonomous_system_organization: organization };
}

/** A record in ip-location-db's country layout (`@ip-location-db/*-country-mmdb`). */
export function ipLocationDbCountryRecord(countryCode: string): { [key: string]: MmdbValue } {
  return { country_code: countryCode };
}

/** A record in IPinfo Lite's layout (`country` is the name there, `asn` "AS<number>"). */
export function ipinfoRecord(countryCode: string, asn: number, name: string): { [key: string]: MmdbValue } {
  return {
    asn: `AS${asn}`,
    as_name: name,
    as_domain: 'example.net',
    country_code: countryCode,
    country: 'Somewhere',
    continent_code: 'EU',
  };
}
