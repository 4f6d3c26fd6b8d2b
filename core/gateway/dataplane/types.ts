// What a data-plane log line means for the SOC, before it becomes an audit event: one fact per
// step (docs/detections.md#data-plane-events). Every field is either null or a value the parser
// checked against a strict grammar (an address, a port, a count, a session wire id); `reason` is the
// only text, built from the daemon's own fixed messages and cut to printable ASCII. Nothing a remote
// peer chooses (a certificate subject, an SPA username, a peer-info string) is ever copied here.
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../../schema/strict.js';

export const DATAPLANE_SOURCES = ['fwknopd', 'stunnel', 'openvpn'] as const;
export type DataplaneSource = (typeof DATAPLANE_SOURCES)[number];

export const DATAPLANE_ACTIONS = [
  'spa.accepted',
  'spa.rejected',
  'spa.replayed',
  'tls.handshake',
  'ovpn.connect',
  'ovpn.disconnect',
  'ovpn.handshake_failed',
] as const;
export type DataplaneAction = (typeof DATAPLANE_ACTIONS)[number];

/** Longest reason text a fact carries (the audit field allows 256; the ingest adds a prefix). */
export const MAX_REASON_CHARS = 200;

const Ipv4 = Type.String({
  maxLength: 15,
  pattern: '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$',
});
const Ip = Type.Union([Ipv4, Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-f:.]+$' })]);
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Null = Type.Null();
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Null]);

export const DataplaneFactSchema = Type.Object(
  {
    source: Type.Enum(DATAPLANE_SOURCES),
    action: Type.Enum(DATAPLANE_ACTIONS),
    result: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]),
    /** The remote peer as the daemon saw it (OpenVPN: the stunnel relay on loopback). */
    srcIp: Nullable(Ip),
    srcPort: Nullable(Port),
    /** The TCP/UDP port the step concerned on the gateway (SPA: the port it opened). */
    dstPort: Nullable(Port),
    proto: Nullable(Type.String({ maxLength: 16, pattern: '^[A-Za-z0-9.]+$' })),
    /** fwknopd: the access.conf stanza (1-based) whose keys authenticated the packet. */
    stanza: Nullable(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /** SPA: the address the packet asked to open, when it is not the one it came from. */
    grantedIp: Nullable(Ip),
    /** A session's certificate CN (`s-` + 32 hex), only from a certificate our CA signed. */
    sessionWireId: Nullable(Type.String({ pattern: '^s-[0-9a-f]{32}$' })),
    virtualIp: Nullable(Ipv4),
    /** The loopback port between stunnel and OpenVPN: ties an OpenVPN client to its TLS peer. */
    relayPort: Nullable(Port),
    bytesIn: Nullable(Count),
    bytesOut: Nullable(Count),
    durationMs: Nullable(Count),
    reason: Nullable(Type.String({ minLength: 1, maxLength: MAX_REASON_CHARS, pattern: '^[\\x20-\\x7E]*$' })),
    /**
     * The line's own time as written: the daemon's local time (its zone is not in the log), except
     * `ovpn.disconnect`, whose hook line gives Unix seconds: UTC (gateway/observe/event-time.ts).
     */
    at: Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$' })),
  },
  closed,
);
export type DataplaneFact = Static<typeof DataplaneFactSchema>;
export const dataplaneFact = strictValidator(DataplaneFactSchema);

/** A fact with every optional field null: parsers say only what the line told them. */
export function fact(
  source: DataplaneSource,
  action: DataplaneAction,
  result: DataplaneFact['result'],
  said: Partial<Omit<DataplaneFact, 'source' | 'action' | 'result'>>,
): DataplaneFact {
  return {
    source,
    action,
    result,
    srcIp: null,
    srcPort: null,
    dstPort: null,
    proto: null,
    stanza: null,
    grantedIp: null,
    sessionWireId: null,
    virtualIp: null,
    relayPort: null,
    bytesIn: null,
    bytesOut: null,
    durationMs: null,
    reason: null,
    at: null,
    ...said,
  };
}

/** What the node knows beside one fwknopd line (DataplanePullResult.stanzas), if anything. */
export interface LineContext {
  /** Stanzas in the access.conf fwknopd was running with when it wrote the line; null: unknown. */
  readonly stanzaCount: number | null;
}

export const NO_CONTEXT: LineContext = { stanzaCount: null };

/**
 * One source's parser: it keeps a small bounded state between lines (and between pulls, as long as
 * the backend keeps the object), and never throws on any input.
 */
export interface DataplaneParser {
  readonly source: DataplaneSource;
  /** The facts this line completes (often none; a line can finish an earlier step and start another). */
  parse(line: string, ctx?: LineContext): DataplaneFact[];
  /**
   * The facts held back waiting for a line that may never come (fwknopd: a packet every stanza
   * refused). Called when a pull reached the end of the file.
   */
  flush(ctx?: LineContext): DataplaneFact[];
}
