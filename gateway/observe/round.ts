// One round of the normalizer: read each daemon log forward from its cursor (rotation-aware:
// gateway/verbs/log-cursor.ts, the code pull_logs uses), parse the lines with the data-plane parsers
// (core/gateway/dataplane), join OpenVPN clients to their TLS peers, and turn each fact into one
// audit-schema event line carrying its own `seq`. Nothing is written here (observer.ts commits).
import { buildAuditEvent } from '../../core/audit/event.js';
import { dataplaneAuditFields } from '../../core/gateway/dataplane/audit-fields.js';
import { formatCursor, parseCursor } from '../../core/gateway/dataplane/cursor.js';
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

/**
 * Read order: OpenVPN before stunnel, so every OpenVPN client read has its stunnel line (written as
 * it connected on) in the stunnel lines read after it, or earlier. Events: stunnel first, so OpenVPN
 * finds the TLS peer of its relay (the same rule as the backend's ingest).
 */
export const READ_ORDER: readonly DataplaneSource[] = ['fwknopd', 'openvpn', 'stunnel'];
export const EVENT_ORDER: readonly DataplaneSource[] = ['fwknopd', 'stunnel', 'openvpn'];

export interface SourceRead {
  readonly page: DataplanePage;
  readonly next: string;
  /** The file is not the one the cursor named (rotated without a `.1`, truncated): lines may be missing. */
  readonly restarted: boolean;
}

/** The lines after `cursor` in one source's log (fwknopd's with the stanza names of access.conf). */
export function readSource(config: ObserverConfig, source: DataplaneSource, cursor: string): SourceRead {
  const from = parseCursor(cursor);
  // The state file's schema admits only cursors; this is a bug if it happens.
  if (!from) throw new Error(`observer: ${source} cursor does not parse`);
  const path = config.logs[source];
  const read = readForward(path, from, ROUND_LINES, ROUND_READ_BYTES);
  const page: DataplanePage = { lines: read.lines, eof: read.eof };
  if (source === 'fwknopd' && read.live) {
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
  reads: Partial<Record<DataplaneSource, SourceRead>>,
  parsers: Record<DataplaneSource, DataplaneParser>,
  join: RelayJoin,
  seq: number,
  readAt: Date,
): RoundEvents {
  const lines: string[] = [];
  let next = seq;
  let dropped = 0;
  for (const source of EVENT_ORDER) {
    const read = reads[source];
    if (!read) continue;
    for (const resolved of factsOfPage(parsers[source], read.page)) {
      const fields = dataplaneAuditFields(resolved, join.join(resolved.fact), config.gateway);
      let event: ReturnType<typeof buildAuditEvent>;
      try {
        event = buildAuditEvent(config.context, fields, eventInstant(resolved.fact, readAt));
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
