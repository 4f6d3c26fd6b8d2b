// Country and AS of a source address, from MaxMind DB files the organisation configures
// (geoipCountryDb / geoipAsnDb): GeoLite2/GeoIP2 Country or City, GeoLite2 ASN or GeoIP2 ISP, or
// any MMDB in those layouts (ip-location-db's country files, which carry `country_code`, too).
//
// Files are read once at start with mmdb-lib; a configured file that cannot be read or is not a
// MaxMind DB stops the start (VIW_E_CONFIG naming the setting). Unconfigured → that field is null.
// Private addresses are answered `private` without a lookup. Whatever a database holds, only an
// ISO 3166 alpha-2 code, an AS number in range and a cleaned, capped organisation name get out; a
// lookup that fails is "not known" (null), never an error for the caller.
import { isIPv4, isIPv6 } from 'node:net';
import { Reader } from 'mmdb-lib';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { isPrivateAddress, unmapAddress } from './source-network.js';

/** Longest AS organisation name passed on (UTF-16 units, as the API schema counts). */
export const AS_ORG_MAX = 128;

export interface GeoIpFiles {
  readonly geoipCountryDb: string | null;
  readonly geoipAsnDb: string | null;
}

export interface SourceAsn {
  readonly number: number;
  readonly organization: string | null;
}

export interface SourceGeo {
  /** `private`: a non-routable address (source-network.ts), never looked up. */
  readonly network: 'private' | 'public';
  /** ISO 3166-1 alpha-2, or null when not known. */
  readonly country: string | null;
  readonly asn: SourceAsn | null;
}

export interface GeoIpDatabase {
  readonly setting: keyof GeoIpFiles;
  readonly databaseType: string;
  readonly builtAt: Date;
}

export interface GeoIp {
  describe(ip: string): SourceGeo;
  /** What was loaded, for the start log. */
  readonly databases: readonly GeoIpDatabase[];
}

type Lookup = Record<string, unknown>;

interface OpenDb {
  readonly reader: Reader<Lookup>;
  readonly ipVersion: number;
}

function openDb(
  setting: keyof GeoIpFiles,
  path: string,
  read: (path: string) => Buffer,
): OpenDb & GeoIpDatabase {
  const bad = (why: string) => new ViworksError('VIW_E_CONFIG', { details: [`${setting}: ${why}`] });
  let bytes: Buffer;
  try {
    bytes = read(path);
  } catch {
    throw bad(`cannot read ${path}`);
  }
  let reader: Reader<Lookup>;
  try {
    reader = new Reader<Lookup>(bytes);
  } catch {
    throw bad(`not a MaxMind DB file: ${path}`);
  }
  const m = reader.metadata;
  const sane =
    m.binaryFormatMajorVersion === 2 &&
    (m.ipVersion === 4 || m.ipVersion === 6) &&
    Number.isSafeInteger(m.nodeCount) &&
    m.nodeCount > 0 &&
    m.searchTreeSize + 16 <= bytes.length &&
    typeof m.databaseType === 'string';
  if (!sane) throw bad(`not a MaxMind DB file: ${path}`);
  try {
    reader.get(m.ipVersion === 6 ? '::' : '0.0.0.0'); // walks the tree once
  } catch {
    throw bad(`damaged search tree in ${path}`);
  }
  return {
    reader,
    ipVersion: m.ipVersion,
    setting,
    databaseType: m.databaseType.slice(0, 64),
    builtAt: m.buildEpoch,
  };
}

function get(db: OpenDb | null, address: string): Lookup | null {
  if (!db) return null;
  if (!isIPv4(address) && !(isIPv6(address) && db.ipVersion === 6)) return null;
  try {
    return db.reader.get(address);
  } catch {
    return null; // a damaged data section: not known
  }
}

const field = (v: unknown, key: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;

/** ISO 3166-1 alpha-2 from GeoIP2's `country` / `registered_country`, or ip-location-db's `country_code`. */
export function countryOf(record: Lookup | null): string | null {
  for (const code of [
    field(record?.country, 'iso_code'),
    field(record?.registered_country, 'iso_code'),
    record?.country_code,
  ]) {
    // ZZ is "unknown" in several data sets.
    if (typeof code === 'string' && /^[A-Z]{2}$/.test(code) && code !== 'ZZ') return code;
  }
  return null;
}

/** Control, format, private-use and separator characters out, spaces collapsed, capped. */
export function cleanOrganization(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const clean = value
    .replace(/[\p{C}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, AS_ORG_MAX)
    .replace(/[\uD800-\uDBFF]$/, '')
    .trim();
  return clean === '' ? null : clean;
}

export function asnOf(record: Lookup | null): SourceAsn | null {
  const number = record?.autonomous_system_number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 0xffff_ffff)
    return null;
  return { number, organization: cleanOrganization(record?.autonomous_system_organization) };
}

export function openGeoIp(files: GeoIpFiles, read: (path: string) => Buffer): GeoIp {
  const country = files.geoipCountryDb ? openDb('geoipCountryDb', files.geoipCountryDb, read) : null;
  const asn = files.geoipAsnDb ? openDb('geoipAsnDb', files.geoipAsnDb, read) : null;
  return {
    databases: [country, asn]
      .filter((d) => d !== null)
      .map(({ setting, databaseType, builtAt }) => ({ setting, databaseType, builtAt })),
    describe(ip) {
      if (isPrivateAddress(ip)) return { network: 'private', country: null, asn: null };
      const address = unmapAddress(ip);
      return { network: 'public', country: countryOf(get(country, address)), asn: asnOf(get(asn, address)) };
    },
  };
}
