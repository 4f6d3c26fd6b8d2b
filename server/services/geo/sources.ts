// The backend's geo sources from its configuration, on the real file system: what `start`
// (ctx.geo) and `viworks-server geo lookup` open, so both answer alike.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../../config.js';
import { bundledGeo } from './bundled.js';
import { type GeoIo, type GeoIp, type GeoIpFiles, openGeoIp } from './geoip.js';

export type GeoConfig = Pick<ServerConfig, 'dataDir' | 'geoipCountryDb' | 'geoipAsnDb' | 'geoExtraRanges'>;

/** Where `viworks-server geo install` puts databases: <dataDir>/geo (0700). */
export const installedGeoDir = (dataDir: string): string => join(dataDir, 'geo');

export const realGeoIo: GeoIo = {
  read: (path) => readFileSync(path),
  mtime: (path) => statSync(path).mtime,
};

export function geoFilesOf(config: GeoConfig, io: GeoIo = realGeoIo): GeoIpFiles {
  return {
    geoipCountryDb: config.geoipCountryDb,
    geoipAsnDb: config.geoipAsnDb,
    geoExtraRanges: config.geoExtraRanges,
    installedDir: installedGeoDir(config.dataDir),
    bundled: bundledGeo((path) => io.read(path)),
  };
}

/** ctx.geo: throws VIW_E_CONFIG on any source that is set or present but unusable. */
export function openServerGeoIp(config: GeoConfig, io: GeoIo = realGeoIo): GeoIp {
  return openGeoIp(geoFilesOf(config, io), io);
}
