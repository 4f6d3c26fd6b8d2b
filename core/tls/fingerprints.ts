// JA3 (Salesforce) and JA4 (FoxIO) fingerprints of a ClientHello (core/tls/client-hello.ts): which
// TLS stack a client runs, whatever it claims in its headers. Both drop GREASE values (RFC 8701).
//
// JA3 = MD5 of "version,ciphers,extensions,groups,point_formats": decimal values, '-' inside a
// field, wire order (github.com/salesforce/ja3).
//
// JA4 = a_b_c (github.com/FoxIO-LLC/ja4, technical_details/JA4.md):
//   a: "t" (TLS over TCP), the version (highest of supported_versions, else legacy_version), "d"
//      with SNI / "i" without, cipher count, extension count (both 2 digits, at most 99, SNI and
//      ALPN counted), first and last character of the first ALPN value ("00" without one);
//   b: first 12 hex of SHA-256 of the ciphers as 4-digit hex, sorted, comma-separated;
//   c: the same of the extensions sorted without SNI and ALPN, then "_" and the signature
//      algorithms in wire order (no "_" when there are none).
// An empty list hashes to "000000000000". Where FoxIO's implementations and its specification
// differ we follow the specification: a non-alphanumeric ALPN byte gives the first and last hex
// digit of the value (the Rust and Wireshark code print "99"), a one-character ALPN value counts as
// both first and last character, and GREASE is dropped from the signature algorithms too.
import { createHash } from 'node:crypto';
import { type ClientHello, EXT_ALPN, EXT_SERVER_NAME, EXT_SUPPORTED_VERSIONS } from './client-hello.js';

export interface TlsFingerprints {
  /** MD5 hex of ja3Text. */
  readonly ja3: string;
  /** The JA3 input, e.g. "771,4865-4866-4867,0-23-65281,29-23-24,0". */
  readonly ja3Text: string;
  /** e.g. t13d1516h2_8daaf6152771_e5627efa2ab1 */
  readonly ja4: string;
  /** JA4 before hashing (FoxIO's ja4_r): the sorted lists themselves. */
  readonly ja4Raw: string;
}

/** A JA3 as written anywhere (config, audit events): 32 lower-case hex digits. */
export const JA3_PATTERN = '^[0-9a-f]{32}$';
/** A JA4 as this module writes it over TCP: t, version, d|i, two counts, ALPN, two hashes. */
export const JA4_PATTERN = '^t(1[0-3]|s[23]|d[1-3]|00)[di][0-9]{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$';

/** RFC 8701 GREASE: 0x0a0a, 0x1a1a, … 0xfafa. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

const JA4_VERSIONS: Readonly<Record<number, string>> = {
  772: '13',
  771: '12',
  770: '11',
  769: '10',
  768: 's3',
  2: 's2',
  65279: 'd1',
  65277: 'd2',
  65276: 'd3',
};

export function fingerprintClientHello(hello: ClientHello): TlsFingerprints {
  const ja3Text = [
    String(hello.legacyVersion),
    decimals(hello.cipherSuites),
    decimals(hello.extensions),
    decimals(hello.supportedGroups),
    hello.ecPointFormats.join('-'),
  ].join(',');
  const ciphers = hello.cipherSuites.filter((v) => !isGrease(v));
  const extensions = hello.extensions.filter((v) => !isGrease(v));
  const a = [
    't',
    ja4Version(hello),
    extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i',
    twoDigits(ciphers.length),
    twoDigits(extensions.length),
    ja4Alpn(hello.firstAlpn),
  ].join('');
  const b = hex4Sorted(ciphers);
  const sorted = hex4Sorted(extensions.filter((v) => v !== EXT_SERVER_NAME && v !== EXT_ALPN));
  const sigs = hello.signatureAlgorithms
    .filter((v) => !isGrease(v))
    .map(hex4)
    .join(',');
  const c = sigs ? `${sorted}_${sigs}` : sorted;
  return {
    ja3: createHash('md5').update(ja3Text).digest('hex'),
    ja3Text,
    ja4: `${a}_${hash12(b)}_${hash12(c)}`,
    ja4Raw: `${a}_${b}_${c}`,
  };
}

function ja4Version(hello: ClientHello): string {
  const offered = hello.extensions.includes(EXT_SUPPORTED_VERSIONS)
    ? hello.supportedVersions.filter((v) => !isGrease(v))
    : [hello.legacyVersion];
  if (offered.length === 0) return '00';
  return JA4_VERSIONS[Math.max(...offered)] ?? '00';
}

const isAlphanumeric = (byte: number) =>
  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);

function ja4Alpn(first: Uint8Array | null): string {
  if (!first || first.length === 0) return '00';
  const head = first[0]!;
  const tail = first[first.length - 1]!;
  if (isAlphanumeric(head) && isAlphanumeric(tail)) return String.fromCharCode(head, tail);
  const hex = Buffer.from(first).toString('hex');
  return `${hex[0]}${hex[hex.length - 1]}`;
}

const decimals = (values: readonly number[]) =>
  values
    .filter((v) => !isGrease(v))
    .map(String)
    .join('-');
const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const hex4Sorted = (values: readonly number[]) =>
  [...values]
    .sort((x, y) => x - y)
    .map(hex4)
    .join(',');
const twoDigits = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
const hash12 = (text: string) =>
  text === '' ? '000000000000' : createHash('sha256').update(text).digest('hex').slice(0, 12);
