// Tamper evidence for the audit stream: each stored event carries hash = SHA-256(prev_hash ‖ canonical
// JSON of the event), so altering, removing or reordering any event breaks every hash after it.
// (Signed per-minute Merkle batches, docs/architecture.md#signed-audit-log, build on this later.)
import { createHash } from 'node:crypto';
import type { AuditEvent } from './event.js';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function chainHash(prevHash: string, event: AuditEvent): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonicalJson(event), 'utf8').digest('hex');
}

export interface ChainedEvent {
  readonly seq: number;
  readonly event: AuditEvent;
  readonly prevHash: string;
  readonly hash: string;
}

/** Returns the sequence number of the first broken link, or null when the chain is intact. */
export function findChainBreak(
  events: readonly ChainedEvent[],
  startHash: string = GENESIS_HASH,
): number | null {
  let prev = startHash;
  for (const e of events) {
    if (e.prevHash !== prev || chainHash(prev, e.event) !== e.hash) return e.seq;
    prev = e.hash;
  }
  return null;
}
