// One MaxMind DB file opened with mmdb-lib and checked as far as it can be without trusting it:
// the metadata is sane, the announced search tree fits in the file, a walk down the tree works.
// Used at start (geoip.ts) and by `viworks-server geo install` (install.ts) alike.
import { isIPv4, isIPv6 } from 'node:net';
import { Reader } from 'mmdb-lib';

export type MmdbRecord = Record<string, unknown>;

export interface OpenMmdb {
  readonly databaseType: string;
  readonly builtAt: Date;
  readonly ipVersion: 4 | 6;
  /** The record for an address (IPv4 or IPv6, not IPv4-mapped), or null: none, or not readable. */
  get(address: string): MmdbRecord | null;
}

/** Why the bytes are no usable MMDB (a short phrase for VIW_E_CONFIG details), or the opened file. */
export function openMmdb(bytes: Buffer): OpenMmdb | string {
  let reader: Reader<MmdbRecord>;
  try {
    reader = new Reader<MmdbRecord>(bytes);
  } catch {
    return 'not a MaxMind DB file';
  }
  const m = reader.metadata;
  const sane =
    m.binaryFormatMajorVersion === 2 &&
    (m.ipVersion === 4 || m.ipVersion === 6) &&
    Number.isSafeInteger(m.nodeCount) &&
    m.nodeCount > 0 &&
    m.searchTreeSize + 16 <= bytes.length &&
    typeof m.databaseType === 'string' &&
    m.buildEpoch instanceof Date &&
    !Number.isNaN(m.buildEpoch.getTime());
  if (!sane) return 'not a MaxMind DB file';
  try {
    reader.get(m.ipVersion === 6 ? '::' : '0.0.0.0'); // walks the tree once
  } catch {
    return 'damaged search tree';
  }
  const ipVersion = m.ipVersion;
  return {
    databaseType: m.databaseType.replace(/[^\x20-\x7e]/g, '?').slice(0, 64),
    builtAt: m.buildEpoch,
    ipVersion,
    get(address) {
      if (!isIPv4(address) && !(isIPv6(address) && ipVersion === 6)) return null;
      try {
        return reader.get(address);
      } catch {
        return null; // a damaged data section: not known
      }
    },
  };
}
