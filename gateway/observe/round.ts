// One round of the normalizer: read each daemon log forward from its cursor (rotation-aware:
// gateway/verbs/log-cursor.ts, the code pull_logs uses), parse the lines with the data-plane parsers
// (core/gateway/dataplane), join OpenVPN clients to their TLS peers and stunnel's handshakes to the
// front door's ClientHello fingerprints, and turn each fact into one audit-schema event line carrying
// its own `seq`. Nothing is written here (observer.ts commits).
import { buildAuditEvent } from '../../core/audit/event.js';
import { dataplaneAuditFields } from '../../core/gateway/dataplane/audit-fields.js';
import { formatCursor, parseCursor } from '../../core/gateway/dataplane/cursor.js';
import { claimsHello, type GatewayHellos } from '../../core/gateway/dataplane/hello-join.js';
import type { DataplaneParser, DataplaneSource } from '../../core/gateway/dataplane/index.js';
import { type DataplanePage, factsOfPage } from '../../core/gateway/dataplane/page-facts.js';
import type { RelayJoin } from '../../core/gateway/dataplane/relay-join.js';
import { readForward } from '../verbs/log-cursor.js';
import { stanzaContext } from '../verbs/spa-stanzas.js';
import { eventInstant } from './event-time.js';
import type { ObserverConfig } from './observer-config.js';

/** Lines read per log per round (the next round goes on at once when a log had more). */
export const ROUND_LINES = 500;
/** Bytes of lines (as JSON strings) read per log per round. */
const ROUND_READ_BYTES = 1024 * 1024;

/** The logs the normalizer follows: the daemons', and the front door's hello log (no events of its own). */
export type ObservedLog = DataplaneSource | 'hello';

/**
 * Read order: OpenVPN before stunnel, so every OpenVPN client read has its stunnel line (written as
 * it connected on) in the stunnel lines read after it, or earlier; the hello log before stunnel for
 * the same reason (a ClientHello is captured before stunnel logs its handshake's end). Events:
 * stunnel first, so OpenVPN finds the TLS peer of its relay (the same rules as the backend's ingest).
 */
export const READ_ORDER: readonly ObservedLog[] = ['fwknopd', 'openvpn', 'hello', 'stunnel'];
export const EVENT_ORDER: readonly DataplaneSource[] = ['fwknopd', 'stunnel', 'openvpn'];

/** Where `log` is on this node; undefined for the hello log when the config names none. */
export function logPath(config: ObserverConfig, log: ObservedLog): string | undefined {
  return log === 'hello' ? config.hello_log : config.logs[log];
}

/**
 * What the normalizer keeps in memory between rounds. Only the relay ports are saved (observer-state.ts);
 * the parsers' steps in progress and the hellos no handshake has claimed yet are not: a handshake whose
 * hello was read before a restart and whose end after it goes out without fingerprints.
 */
export interface RoundMemory {
  readonly parsers: Record<DataplaneSource, DataplaneParser>;
  readonly join: RelayJoin;
  readonly hellos: GatewayHellos;
}

export interface SourceRead {
  readonly page: DataplanePage;
  readonly next: string;
  /** The file is not the one the cursor named (rotated without a `.1`, truncated): lines may be missing. */
  readonly restarted: boolean;
}

/** The lines after `cursor` in one log (fwknopd's with the stanza names of access.conf). */
export function readSource(config: ObserverConfig, log: ObservedLog, cursor: string): SourceRead {
  const from = parseCursor(cursor);
  const path = logPath(config, log);
  // The state file's schema admits only cursors, and round() reads only the logs the config names:
  // either is a bug if it happens.
  if (!from) throw new Error(`observer: ${log} cursor does not parse`);
  if (!path) throw new Error(`observer: ${log} is not in the config`);
  const read = readForward(path, from, ROUND_LINES, ROUND_READ_BYTES);
  const page: DataplanePage = { lines: read.lines, eof: read.eof };
  if (log === 'fwknopd' && read.live) {
    const stanzas = stanzaContext(read.lines, path, read.next.offset, config.access_conf);
    if (stanzas)
      return { page: { ...page, stanzas }, next: formatCursor(read.next), restarted: read.restarted };
  }
  return { page, next: formatCursor(read.next), restarted: read.restarted };
}

export interface RoundEvents {
  /** One JSON line (no newline) per event, `seq` first. */
  readonly lines: string[];
  readonly seq: number;
  /** Facts whose event did not pass the audit schema (never expected: the parsers check every value). */
  readonly dropped: number;
}

/** The events of the pages read this round, numbered from `seq` + 1. */
export function eventsOf(
  config: ObserverConfig,
  reads: Partial<Record<ObservedLog, SourceRead>>,
  memory: RoundMemory,
  seq: number,
  readAt: Date,
): RoundEvents {
  // The hellos first, so that each handshake of this round's stunnel lines finds its own. A line
  // that is not the capture's is skipped by add().
  for (const line of reads.hello?.page.lines ?? []) memory.hellos.add(line);
  const lines: string[] = [];
  let next = seq;
  let dropped = 0;
  for (const source of EVENT_ORDER) {
    const read = reads[source];
    if (!read) continue;
    for (const resolved of factsOfPage(memory.parsers[source], read.page)) {
      const { fact } = resolved;
      const fields = dataplaneAuditFields(resolved, memory.join.join(fact), config.gateway);
      const fingerprints = claimsHello(fact) ? memory.hellos.take(fact.srcIp, fact.srcPort) : null;
      let event: ReturnType<typeof buildAuditEvent>;
      try {
        event = buildAuditEvent(config.context, { ...fields, ...fingerprints }, eventInstant(fact, readAt));
      } catch {
        dropped++;
        continue;
      }
      next++;
      lines.push(JSON.stringify({ seq: next, ...event }));
    }
  }
  return { lines, seq: next, dropped };
}
