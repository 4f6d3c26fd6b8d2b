// The extra-ranges file (setting geoExtraRanges): country and AS for address ranges a deployment
// knows better than any database — its private ranges (the lab maps 10.99.0.0/16 to a country),
// a carrier-grade NAT pool, an office whose egress a database places wrongly. Asked before every
// database, also for private addresses; the most specific range wins. Format (docs/geo.md):
//   {"v":1,"ranges":[{"cidr":"10.99.0.0/16","country":"RU","asn":64512,"organization":"Lab AS"}]}
// A file that does not parse, breaks the schema or holds a bad or duplicate range stops the start
// (VIW_E_CONFIG naming the JSON path in the file), never ignored in part.
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import { addressNumber, hostMask, parseCidr } from './address-number.js';

export const EXTRA_RANGES_MAX = 4096;
/** Larger than any file of EXTRA_RANGES_MAX sensible entries. */
export const EXTRA_RANGES_MAX_BYTES = 2 * 1024 * 1024;

const ExtraRangesSchema = Type.Object(
  {
    v: Type.Literal(1),
    ranges: Type.Array(
      Type.Object(
        {
          cidr: Type.String({ minLength: 3, maxLength: 49 }),
          country: Type.String({ pattern: '^[A-Z]{2}$' }),
          asn: Type.Optional(Type.Integer({ minimum: 1, maximum: 4294967295 })),
          organization: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7E]+$' }),
          ),
        },
        closed,
      ),
      { maxItems: EXTRA_RANGES_MAX },
    ),
  },
  closed,
);

export type ExtraRangesFile = Static<typeof ExtraRangesSchema>;
type ExtraRange = ExtraRangesFile['ranges'][number];

const validator = strictValidator(ExtraRangesSchema);

/** What a matching range says; `asn` absent: the range leaves the AS to the databases. */
export interface ExtraRangeAnswer {
  readonly cidr: string;
  readonly country: string;
  readonly asn?: { readonly number: number; readonly organization: string | null };
}

export interface ExtraRanges {
  readonly count: number;
  /** The most specific range holding the address, or null. */
  lookup(ip: string): ExtraRangeAnswer | null;
}

/** Parses and checks the file's bytes; `source` names the file in errors. */
export function parseExtraRanges(bytes: Buffer, source: string): ExtraRanges {
  const bad = (where: string, why: string) =>
    new ViworksError('VIW_E_CONFIG', {
      details: [`geoExtraRanges ${source}: ${where}: ${why}`.slice(0, 300)],
    });
  if (bytes.length > EXTRA_RANGES_MAX_BYTES) throw bad('/', `larger than ${EXTRA_RANGES_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad('/', 'not JSON');
  }
  let file: ExtraRangesFile;
  try {
    file = validator.parse(value, 'VIW_E_CONFIG');
  } catch (err) {
    const details = (err as ViworksError).details.map((d) => `geoExtraRanges ${source}: ${d}`.slice(0, 300));
    throw new ViworksError('VIW_E_CONFIG', { details });
  }
  // Per version and prefix length: network number → range.
  const tables = new Map<string, Map<bigint, ExtraRangeAnswer>>();
  const prefixes = { 4: new Set<number>(), 6: new Set<number>() };
  file.ranges.forEach((range, i) => {
    const net = parseCidr(range.cidr);
    if (typeof net === 'string') throw bad(`/ranges/${i}/cidr`, net);
    if (range.organization !== undefined && range.asn === undefined)
      throw bad(`/ranges/${i}/organization`, 'an organization needs an asn');
    const key = `${net.version}/${net.prefix}`;
    const table = tables.get(key) ?? new Map<bigint, ExtraRangeAnswer>();
    if (table.has(net.value)) throw bad(`/ranges/${i}/cidr`, `the same range as an earlier entry`);
    table.set(net.value, answerOf(range));
    tables.set(key, table);
    prefixes[net.version].add(net.prefix);
  });
  const longestFirst = {
    4: [...prefixes[4]].sort((a, b) => b - a),
    6: [...prefixes[6]].sort((a, b) => b - a),
  };
  return {
    count: file.ranges.length,
    lookup(ip) {
      const address = addressNumber(ip);
      if (!address) return null;
      for (const prefix of longestFirst[address.version]) {
        const network = address.value & ~hostMask(address.version, prefix);
        const hit = tables.get(`${address.version}/${prefix}`)?.get(network);
        if (hit) return hit;
      }
      return null;
    },
  };
}

function answerOf(range: ExtraRange): ExtraRangeAnswer {
  return {
    cidr: range.cidr,
    country: range.country,
    ...(range.asn === undefined
      ? {}
      : { asn: { number: range.asn, organization: range.organization ?? null } }),
  };
}
