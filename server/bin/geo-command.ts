// `viworks-server geo install|lookup` (docs/geo.md): install a newer country/AS database into
// <dataDir>/geo/ (a running server uses it from its next start), or look an address up the way the
// server would. `--json` prints exactly the result object. Exit 0 ok, 64 usage; a refused file is
// VIW_E_VALIDATION (1), a bad configuration VIW_E_CONFIG (78), both thrown to the caller.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import type { GeoIpDatabase, SourceGeo } from '../services/geo/geoip.js';
import { type GeoInstallFile, type InstalledGeoFile, installGeoFiles } from '../services/geo/install.js';
import { installedGeoDir, openServerGeoIp } from '../services/geo/sources.js';

export const GEO_USAGE = `  geo install --country FILE [--asn FILE] [--data-dir DIR]
                 check MMDB files and install them into <data dir>/geo/ (either flag, or both);
                 the server uses them from its next start
  geo lookup IP  country and AS of an address, from the sources the server would use`;

const USAGE_LINE =
  'usage: viworks-server geo install [--country FILE] [--asn FILE] [--data-dir DIR] [--json]\n' +
  '       viworks-server geo lookup IP [--json]\n';

/** `geo install --json`, version 1. */
export interface GeoInstallResult {
  readonly v: 1;
  readonly data_dir: string;
  readonly installed: readonly (InstalledGeoFile & {
    /** The setting that outranks this file while it is set (geoip.ts), else null. */
    readonly shadowed_by: 'geoipCountryDb' | 'geoipAsnDb' | null;
  })[];
  /** Files are read at start only. */
  readonly takes_effect: 'next_start';
}

/** `geo lookup --json`, version 1. */
export interface GeoLookupResult extends SourceGeo {
  readonly v: 1;
  readonly ip: string;
  readonly sources: readonly {
    readonly setting: GeoIpDatabase['setting'];
    readonly kind: GeoIpDatabase['kind'];
    readonly path: string;
    readonly database_type: string;
    readonly built_at: string;
  }[];
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      country: { type: 'string' },
      asn: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** `argv` is the whole command line (global options included); positionals[0] is `geo`. */
export async function geoCommand(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE_LINE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE_LINE);
    return 0;
  }
  const [, verb, ...rest] = positionals;
  const config = () => loadConfig(values.config ? { file: values.config } : {});
  if (verb === 'install' && rest.length === 0 && (values.country || values.asn)) {
    const c = config();
    const files: GeoInstallFile[] = [];
    if (values.country) files.push({ kind: 'country', source: values.country });
    if (values.asn) files.push({ kind: 'asn', source: values.asn });
    const dataDir = values['data-dir'] ?? c.dataDir;
    const installed = installGeoFiles(installedGeoDir(dataDir), files);
    const result: GeoInstallResult = {
      v: 1,
      data_dir: dataDir,
      installed: installed.map((f) => {
        const setting = f.kind === 'country' ? 'geoipCountryDb' : 'geoipAsnDb';
        return { ...f, shadowed_by: c[setting] ? setting : null };
      }),
      takes_effect: 'next_start',
    };
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatInstall(result));
    return 0;
  }
  if (verb === 'lookup' && rest.length === 1 && rest[0] && isIP(rest[0]) && !values.country && !values.asn) {
    const geo = openServerGeoIp(config());
    const result: GeoLookupResult = {
      v: 1,
      ip: rest[0],
      ...geo.describe(rest[0]),
      sources: geo.databases.map((d) => ({
        setting: d.setting,
        kind: d.kind,
        path: d.path,
        database_type: d.databaseType,
        built_at: d.builtAt.toISOString(),
      })),
    };
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatLookup(result));
    return 0;
  }
  process.stderr.write(USAGE_LINE);
  return 64;
}

function formatInstall(r: GeoInstallResult): string {
  const lines = r.installed.flatMap((f) => [
    `installed ${f.kind} database ${f.path}`,
    `  from ${f.source}: ${f.database_type}, built ${f.built_at}, ${f.size} bytes, sha256 ${f.sha256}`,
    ...(f.replaced ? [`  replaced ${f.replaced.database_type}, built ${f.replaced.built_at}`] : []),
    ...(f.shadowed_by ? [`  NOT USED while ${f.shadowed_by} is set: a configured file outranks it`] : []),
  ]);
  lines.push('a running server uses it from its next start (restart it)');
  return `${lines.join('\n')}\n`;
}

function formatLookup(r: GeoLookupResult): string {
  const as = r.asn ? `AS${r.asn.number}${r.asn.organization ? ` ${r.asn.organization}` : ''}` : 'AS unknown';
  return [
    `${r.ip}: ${r.network}, country ${r.country ?? 'unknown'}, ${as}`,
    ...r.sources.map(
      (s) => `  ${s.kind} from ${s.setting}: ${s.database_type}, built ${s.built_at} (${s.path})`,
    ),
    '',
  ].join('\n');
}
