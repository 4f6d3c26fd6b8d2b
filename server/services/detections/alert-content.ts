// What an alert says, built from what made its rule fire: the fields a SOC reads (reason, counts,
// thresholds, the key's parts, distinct values seen) and the audit facts of the triggering event.
import type { AuditEvent } from '../../../core/audit/event.js';
import type { RaisedAlert } from './alert.js';
import type { DetectionRule, Firing } from './rule.js';

/** Recent evidence of a rule+key in this instance: event seqs and distinct values. */
export interface Evidence {
  seqs: number[];
  values: string[];
}

/** Printable ASCII only, cut to `max`: what may land in an audit field. */
export const printable = (text: string, max: number) => text.replace(/[^\x20-\x7E]/g, '?').slice(0, max);

export function alertFields(rule: DetectionRule, f: Firing, seen: Evidence | null): RaisedAlert['fields'] {
  const s = rule.shape;
  const shape: Record<string, string | number> =
    s.kind === 'count'
      ? { threshold: s.threshold, op: s.op, window_s: s.windowMs / 1000 }
      : s.kind === 'count_distinct'
        ? {
            threshold: s.threshold,
            distinct_field: s.distinct.field,
            distinct_at_least: s.distinct.atLeast,
            window_s: s.windowMs / 1000,
          }
        : s.kind === 'absence'
          ? { within_s: s.withinMs / 1000 }
          : {};
  const keyed = Object.fromEntries(Object.entries(f.keyValues).filter(([, v]) => v !== null));
  const distinctSeen: Record<string, string[]> =
    s.kind === 'count_distinct' && seen ? { [`${s.distinct.field}_seen`]: seen.values } : {};
  return {
    reason: f.reason,
    trigger_action: f.event.action,
    ...keyed,
    ...(f.count !== undefined ? { count: f.count } : {}),
    ...(f.distinct !== undefined ? { distinct_count: f.distinct } : {}),
    ...shape,
    ...distinctSeen,
  };
}

export function contextOf(e: AuditEvent): NonNullable<RaisedAlert['context']> {
  return {
    user_id: e.user_id,
    device_id: e.device_id,
    session_id: e.session_id,
    src_ip: e.src_ip,
    asn: e.asn,
    country: e.country,
    tls_ja3: e.tls_ja3,
    policy_id: e.policy_id,
  };
}
