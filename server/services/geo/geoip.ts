// Country and AS of a source address, offline (docs/geo.md). Sources, asked in this order:
//   1. the extra-ranges file (setting geoExtraRanges): every address, private ones too; a matching
//      range gives the country, and the AS when it names one;
//   2. per kind (country, AS), ONE database, the first of:
//      configured  geoipCountryDb / geoipAsnDb (an explicit setting outranks everything installed)
//      installed   <dataDir>/geo/country.mmdb, asn.mmdb (`viworks-server geo install`)
//      bundled     the npm data packages (bundled.ts)
// MMDB files in MaxMind's layout (GeoLite2/GeoIP2 Country, City, ASN, ISP), ip-location-db's
// (`country_code`) and IPinfo's (`country_code`/`country`, `asn` "AS15169", `as_name`) are read.
//
// Everything is read once at start: a configured, installed or bundled file that cannot be read or
// is not what it claims stops the start (VIW_E_CONFIG naming it). Private addresses not in an extra
// range are answered `private` without a lookup. Whatever a source holds, only an ISO 3166 alpha-2
// code, an AS number in range and a cleaned, capped organisation name get out; a lookup that fails
// is "not known" (null), never an error for the caller.
import { join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { type BundledGeo, loadBundledAsn } from './bundled.js';
import { type ExtraRanges, parseExtraRanges } from './extra-ranges.js';
import { type MmdbRecord, openMmdb } from './mmdb.js';
import { isPrivateAddress, unmapAddress } from './source-network.js';

/** Longest AS organisation name passed on (UTF-16 units, as the API schema counts). */
export const AS_ORG_MAX = 128;

export type GeoKind = 'country' | 'asn';

/** File names `viworks-server geo install` writes in <dataDir>/geo/. */
export const INSTALLED_NAMES: Readonly<Record<GeoKind, string>> = {
  country: 'country.mmdb',
  asn: 'asn.mmdb',
};

export interface GeoIpFiles {
  readonly geoipCountryDb: string | null;
  readonly geoipAsnDb: string | null;
  readonly geoExtraRanges?: string | null;
  /** <dataDir>/geo; absent: nothing installed is looked for. */
  readonly installedDir?: string | null;
  /** The npm data packages (bundled.ts); absent: none (tests of one source). */
  readonly bundled?: BundledGeo | null;
}

export interface SourceAsn {
  readonly number: number;
  readonly organization: string | null;
}

export interface SourceGeo {
  /** `private`: a non-routable address (source-network.ts); only extra ranges answer for it. */
  readonly network: 'private' | 'public';
  /** ISO 3166-1 alpha-2, or null when not known. */
  readonly country: string | null;
  readonly asn: SourceAsn | null;
}

/** Where a source came from: its setting, or `installed` / `bundled`. */
export type GeoIpSetting = 'geoExtraRanges' | 'geoipCountryDb' | 'geoipAsnDb' | 'installed' | 'bundled';

export interface GeoIpDatabase {
  readonly setting: GeoIpSetting;
  readonly kind: GeoKind | 'ranges';
  readonly path: string;
  /** The MMDB's database_type; for a bundled one the package and version; for ranges their count. */
  readonly databaseType: string;
  /** The MMDB's build time; the bundled CSV's package date; the extra-ranges file's mtime. */
  readonly builtAt: Date;
}

export interface GeoIp {
  describe(ip: string): SourceGeo;
  /** What is used, in the order asked: for the start log and `geo lookup`. */
  readonly databases: readonly GeoIpDatabase[];
}

export interface GeoIo {
  read(path: string): Buffer;
  /** Modification time (the extra-ranges file's "build date"); default: unknown (epoch). */
  mtime?(path: string): Date;
}

interface Source {
  readonly info: GeoIpDatabase;
  get(address: string): MmdbRecord | null;
}

const notFound = (err: unknown) => (err as { code?: string } | null)?.code === 'ENOENT';

function configError(detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', { details: [detail.slice(0, 300)] });
}

function readOrFail(io: GeoIo, label: string, path: string): Buffer {
  try {
    return io.read(path);
  } catch {
    throw configError(`${label}: cannot read ${path}`);
  }
}

function mmdbSource(
  setting: GeoIpSetting,
  kind: GeoKind,
  path: string,
  bytes: Buffer,
  typeLabel?: string,
): Source {
  const label = setting === 'installed' ? `installed ${kind} database` : setting;
  const db = openMmdb(bytes);
  if (typeof db === 'string') throw configError(`${label}: ${db}: ${path}`);
  return {
    info: { setting, kind, path, databaseType: typeLabel ?? db.databaseType, builtAt: db.builtAt },
    get: (address) => db.get(address),
  };
}

function openKind(kind: GeoKind, files: GeoIpFiles, io: GeoIo): Source | null {
  const setting = kind === 'country' ? 'geoipCountryDb' : 'geoipAsnDb';
  const configured = files[setting];
  if (configured) return mmdbSource(setting, kind, configured, readOrFail(io, setting, configured));
  if (files.installedDir) {
    const path = join(files.installedDir, INSTALLED_NAMES[kind]);
    let bytes: Buffer | null = null;
    try {
      bytes = io.read(path);
    } catch (err) {
      if (!notFound(err)) throw configError(`installed ${kind} database: cannot read ${path}`);
    }
    if (bytes) return mmdbSource('installed', kind, path, bytes);
  }
  const bundled = files.bundled?.[kind];
  if (!bundled) return null;
  if ('path' in bundled) {
    return mmdbSource('bundled', kind, bundled.path, readOrFail(io, 'bundled', bundled.path), bundled.label);
  }
  try {
    const table = loadBundledAsn(bundled, (p) => io.read(p));
    return {
      info: {
        setting: 'bundled',
        kind,
        path: bundled.v4Path,
        databaseType: bundled.label,
        builtAt: bundled.builtAt,
      },
      get: (address) => table.lookup(address),
    };
  } catch (err) {
    throw configError(`bundled ${kind} data ${bundled.label}: ${(err as Error).message}`);
  }
}

function openExtraRanges(path: string, io: GeoIo): { ranges: ExtraRanges; info: GeoIpDatabase } {
  const ranges = parseExtraRanges(readOrFail(io, 'geoExtraRanges', path), path);
  let builtAt = new Date(0);
  try {
    builtAt = io.mtime?.(path) ?? builtAt;
  } catch {
    // read a moment ago: its time is only for the log
  }
  return {
    ranges,
    info: {
      setting: 'geoExtraRanges',
      kind: 'ranges',
      path,
      databaseType: `${ranges.count} extra ranges`,
      builtAt,
    },
  };
}

const field = (v: unknown, key: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;

/**
 * ISO 3166-1 alpha-2 from GeoIP2's `country` / `registered_country` objects, ip-location-db's and
 * IPinfo's `country_code`, or a plain `country` code (IPinfo's country database).
 */
export function countryOf(record: MmdbRecord | null): string | null {
  for (const code of [
    field(record?.country, 'iso_code'),
    field(record?.registered_country, 'iso_code'),
    record?.country_code,
    record?.country,
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

/** MaxMind's `autonomous_system_number`/`_organization`, or IPinfo's `asn` ("AS15169") / `as_name`. */
export function asnOf(record: MmdbRecord | null): SourceAsn | null {
  const maxmind = record?.autonomous_system_number;
  const ipinfo = typeof record?.asn === 'string' ? /^AS([1-9]\d{0,9})$/.exec(record.asn)?.[1] : undefined;
  const number = maxmind ?? (ipinfo === undefined ? undefined : Number(ipinfo));
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 0xffff_ffff)
    return null;
  const organization = maxmind === undefined ? record?.as_name : record?.autonomous_system_organization;
  return { number, organization: cleanOrganization(organization) };
}

/** Opens every source the files name (see the top of this file); throws VIW_E_CONFIG. */
export function openGeoIp(files: GeoIpFiles, io: GeoIo | ((path: string) => Buffer)): GeoIp {
  const fs: GeoIo = typeof io === 'function' ? { read: io } : io;
  const extra = files.geoExtraRanges ? openExtraRanges(files.geoExtraRanges, fs) : null;
  const country = openKind('country', files, fs);
  const asn = openKind('asn', files, fs);
  const lookup = (source: Source | null, address: string) => (source ? source.get(address) : null);
  return {
    databases: [extra?.info, country?.info, asn?.info].filter((d) => d !== undefined),
    describe(ip) {
      const address = unmapAddress(ip);
      const hit = extra?.ranges.lookup(address) ?? null;
      if (isPrivateAddress(ip)) {
        return { network: 'private', country: hit?.country ?? null, asn: hit?.asn ?? null };
      }
      return {
        network: 'public',
        country: hit?.country ?? countryOf(lookup(country, address)),
        asn: hit?.asn ?? asnOf(lookup(asn, address)),
      };
    },
  };
}
