// One line of a gateway's front-door hello log: the JA3/JA4 of a TLS ClientHello that arrived at the
// stunnel port, captured passively on the node (gateway/front-door/) and joined to stunnel's
// `tls.handshake` of the same source address and port (core/gateway/dataplane/hello-join.ts) by the
// backend, which reads it with pull_logs, and by the node's normalizer. Writer and readers check it
// against this one schema, so a line the node did not write (or a damaged one) never reaches an
// audit event.
import { isIP } from 'node:net';
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../schema/strict.js';
import { JA3_PATTERN, JA4_PATTERN } from './fingerprints.js';

/** JA4's version field → the highest TLS version the client offered, as written in the line. */
const VERSIONS: Readonly<Record<string, string>> = {
  '13': '1.3',
  '12': '1.2',
  '11': '1.1',
  '10': '1.0',
  s3: 'ssl3',
  s2: 'ssl2',
};
export const OFFERED_VERSIONS = ['1.3', '1.2', '1.1', '1.0', 'ssl3', 'ssl2'] as const;

export const FrontDoorHelloSchema = Type.Object(
  {
    /** When the segment that completed the ClientHello was captured (UTC, milliseconds). */
    ts: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' }),
    /** IPv4 dotted quad, or IPv6 in its RFC 5952 form (lower case, zeros compressed). */
    src_ip: Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-f:.]+$' }),
    src_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    dst_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    ja3: Type.String({ pattern: JA3_PATTERN }),
    ja4: Type.String({ pattern: JA4_PATTERN }),
    /** The highest version the client offered (from the JA4), when it is one of these. */
    tls_version: Type.Optional(Type.Enum(OFFERED_VERSIONS)),
  },
  closed,
);
export type FrontDoorHello = Static<typeof FrontDoorHelloSchema>;
export const frontDoorHello = strictValidator(FrontDoorHelloSchema);

/** The highest version a JA4 says the client offered; undefined for `00` and DTLS codes. */
export function offeredVersion(ja4: string): FrontDoorHello['tls_version'] {
  const v = VERSIONS[ja4.slice(1, 3)];
  return OFFERED_VERSIONS.find((known) => known === v);
}

/**
 * An address in the one form both ends of the join write: IPv4 as a dotted quad, IPv6 per RFC 5952
 * (lower case, the longest run of zero groups compressed: the WHATWG URL serializer's form). Null for
 * anything that is not an IP address (node:net isIP), a zone included.
 */
export function canonicalIp(text: string): string | null {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6 || text.includes('%')) return null;
  try {
    const plain = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    return isIP(plain) === 6 ? plain : null;
  } catch {
    return null;
  }
}
