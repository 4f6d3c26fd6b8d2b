// The alert store: one Alert row per raised alert, and what the admin API reads from it. A rule's
// alert is trimmed here before anything keeps it (normalizeAlert): every text printable ASCII and
// capped, the fields at most 4 KiB of JSON. The row's `fields` column holds the rule's fields plus
// `evidence` (the audit seqs that made it fire) and, when something had to be left out,
// `dropped_fields`; both names are reserved. The alert's context (user, device, source…) is not
// copied into the row: it lives in the `alert.<rule>` audit event the row points to (audit_seq),
// whose trace_id is the alert's id.
import {
  ALERT_CONTEXT_KEYS,
  ALERT_FIELD_KEY_PATTERN,
  ALERT_LIMITS,
  ALERT_RULE_PATTERN,
  ALERT_SEVERITIES,
  AlertContext,
  type AlertContextT,
  type AlertFieldsT,
  type AlertFieldValueT,
  type AlertSeverityT,
  type AlertViewT,
  type ListAlertsQueryT,
} from '../../../core/api/admin-alerts.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { strictValidator } from '../../../core/schema/strict.js';
import type { Db } from '../../data/client.js';
import { iso, pageArgs, pageOf, queryTime } from '../admin/paging.js';
import type { RaisedAlert } from './alert.js';

export type AlertRow = NonNullable<Awaited<ReturnType<Db['alert']['findUnique']>>>;

/** An alert as it is kept: trimmed, validated, with what had to be left out named. */
export interface NormalizedAlert {
  readonly rule: string;
  readonly severity: AlertSeverityT;
  readonly key: string;
  readonly summary: string;
  readonly fields: AlertFieldsT;
  readonly evidence: readonly number[];
  readonly context: AlertContextT;
  readonly firedAt: Date;
  /** Field keys (and `context.<key>`) that were invalid or did not fit. */
  readonly dropped: readonly string[];
}

const RESERVED = new Set(['evidence', 'dropped_fields']);
const MAX_DROPPED_NAMES = 8;
const FIELD_KEY = new RegExp(ALERT_FIELD_KEY_PATTERN);
const RULE = new RegExp(ALERT_RULE_PATTERN);

/** Printable ASCII, at most `max` characters: anything else becomes `?`. */
export function printable(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

function fieldValue(v: unknown): AlertFieldValueT | undefined {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return printable(v, ALERT_LIMITS.fieldTextChars);
  if (!Array.isArray(v)) return undefined;
  const items: (string | number)[] = [];
  for (const x of v.slice(0, ALERT_LIMITS.fieldListItems) as unknown[]) {
    if (typeof x === 'string') items.push(printable(x, ALERT_LIMITS.fieldTextChars));
    else if (typeof x === 'number' && Number.isFinite(x)) items.push(x);
  }
  return items;
}

/** The stored JSON of the fields column. */
function fieldsText(fields: AlertFieldsT, evidence: readonly number[], dropped: readonly string[]): string {
  const named = dropped.slice(0, MAX_DROPPED_NAMES);
  return JSON.stringify({ ...fields, evidence, ...(named.length > 0 ? { dropped_fields: named } : {}) });
}

/** The rule's fields, valid and within 4 KiB with the evidence; keys that did not fit are dropped. */
function boundedFields(given: RaisedAlert['fields'], evidence: readonly number[], dropped: string[]) {
  const kept: Record<string, AlertFieldValueT> = {};
  for (const [k, v] of Object.entries(given ?? {})) {
    const value = fieldValue(v);
    if (!FIELD_KEY.test(k) || RESERVED.has(k) || value === undefined) dropped.push(printable(k, 64) || '?');
    else if (Object.keys(kept).length >= ALERT_LIMITS.fields) dropped.push(k);
    else kept[k] = value;
  }
  // Last keys out first until it fits (the rule lists its most telling fields first).
  const keys = Object.keys(kept);
  while (Buffer.byteLength(fieldsText(kept, evidence, dropped)) > ALERT_LIMITS.fieldsBytes) {
    const last = keys.pop()!;
    delete kept[last];
    dropped.push(last);
  }
  return kept;
}

const contextCheck = new Map(ALERT_CONTEXT_KEYS.map((k) => [k, strictValidator(AlertContext.properties[k])]));

/**
 * Trims an alert for keeping. Throws VIW_E_VALIDATION only for what names the alert (rule,
 * severity): a rule with a bad id is a bug to fix, not an alert to half-record. Anything else bad is
 * left out and named in `dropped`, so a rule's odd field never costs the alert.
 */
export function normalizeAlert(alert: RaisedAlert, now: () => Date = () => new Date()): NormalizedAlert {
  if (typeof alert.rule !== 'string' || !RULE.test(alert.rule))
    throw new ViworksError('VIW_E_VALIDATION', { details: ['alert rule: not a rule id'] });
  if (!(ALERT_SEVERITIES as readonly string[]).includes(alert.severity))
    throw new ViworksError('VIW_E_VALIDATION', { details: ['alert severity: warning, error or critical'] });
  const dropped: string[] = [];
  const context = {} as Record<keyof AlertContextT, unknown>;
  for (const k of ALERT_CONTEXT_KEYS) {
    const v = alert.context?.[k] ?? null;
    const ok = v === null || contextCheck.get(k)!.check(v);
    if (!ok) dropped.push(`context.${k}`);
    context[k] = ok ? v : null;
  }
  const evidence = (alert.evidence ?? [])
    .filter((s) => Number.isSafeInteger(s) && s >= 1)
    .slice(-ALERT_LIMITS.evidence);
  const fields = boundedFields(alert.fields, evidence, dropped);
  const firedAt =
    alert.firedAt instanceof Date && !Number.isNaN(alert.firedAt.getTime()) ? alert.firedAt : now();
  return {
    rule: alert.rule,
    severity: alert.severity,
    key: printable(String(alert.key ?? ''), ALERT_LIMITS.keyChars) || '-',
    summary: printable(String(alert.summary ?? ''), ALERT_LIMITS.summaryChars) || alert.rule,
    fields,
    evidence,
    context: context as AlertContextT,
    firedAt,
    dropped,
  };
}

export const EMPTY_CONTEXT: AlertContextT = Object.fromEntries(
  ALERT_CONTEXT_KEYS.map((k) => [k, null]),
) as AlertContextT;

/** The fields column split back into the rule's fields and the evidence. */
function storedFields(text: string): { fields: AlertFieldsT; evidence: number[] } {
  try {
    const { evidence, ...fields } = JSON.parse(text) as Record<string, unknown>;
    return {
      fields: fields as AlertFieldsT,
      evidence: Array.isArray(evidence) ? evidence.filter((s) => Number.isSafeInteger(s)) : [],
    };
  } catch {
    return { fields: {}, evidence: [] };
  }
}

export function alertView(row: AlertRow, context: AlertContextT = EMPTY_CONTEXT): AlertViewT {
  const { fields, evidence } = storedFields(row.fields);
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity as AlertSeverityT,
    key: row.key,
    summary: row.summary,
    fields,
    evidence,
    context,
    audit_seq: row.auditSeq === null ? null : Number(row.auditSeq),
    fired_at: iso(row.firedAt),
    acked_at: iso(row.ackedAt),
    acked_by: row.ackedBy,
  };
}

const contextValidator = strictValidator(AlertContext);

export class AlertStore {
  constructor(private readonly db: Db) {}

  insert(alert: NormalizedAlert): Promise<AlertRow> {
    return this.db.alert.create({
      data: {
        rule: alert.rule,
        severity: alert.severity,
        key: alert.key,
        summary: alert.summary,
        fields: fieldsText(alert.fields, alert.evidence, alert.dropped),
        firedAt: alert.firedAt,
      },
    });
  }

  attachAuditSeq(id: string, seq: number): Promise<AlertRow> {
    return this.db.alert.update({ where: { id }, data: { auditSeq: BigInt(seq) } });
  }

  /**
   * The context of each row from its audit event; an event that is missing, unreadable or not
   * this alert's (its trace_id is the alert id) gives the empty context.
   */
  private async contexts(rows: readonly AlertRow[]): Promise<Map<string, AlertContextT>> {
    const seqs = rows.flatMap((r) => (r.auditSeq === null ? [] : [r.auditSeq]));
    const events = seqs.length
      ? await this.db.auditEvent.findMany({
          where: { seq: { in: seqs } },
          select: { seq: true, event: true },
        })
      : [];
    const bySeq = new Map(events.map((e) => [e.seq, e.event]));
    const out = new Map<string, AlertContextT>();
    for (const row of rows) {
      const text = row.auditSeq === null ? undefined : bySeq.get(row.auditSeq);
      if (text === undefined) continue;
      try {
        const event = JSON.parse(text) as Record<string, unknown>;
        if (event.trace_id !== row.id) continue;
        const picked = Object.fromEntries(ALERT_CONTEXT_KEYS.map((k) => [k, event[k] ?? null]));
        if (contextValidator.check(picked)) out.set(row.id, picked);
      } catch {
        // an unreadable event leaves the context empty; the audit verifier reports the event itself
      }
    }
    return out;
  }

  async list(q: ListAlertsQueryT): Promise<{ alerts: AlertViewT[]; next_cursor: string | null }> {
    const { idBelow, orderBy, take } = pageArgs(q);
    const since = queryTime(q.since, 'since');
    const until = queryTime(q.until, 'until');
    const rows = await this.db.alert.findMany({
      where: {
        ...idBelow,
        ...(q.rule ? { rule: q.rule } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.acked === 'true' ? { ackedAt: { not: null } } : q.acked === 'false' ? { ackedAt: null } : {}),
        ...(since || until
          ? { firedAt: { ...(since ? { gte: since } : {}), ...(until ? { lt: until } : {}) } }
          : {}),
      },
      orderBy,
      take,
    });
    const page = pageOf(rows, q.limit);
    const contexts = await this.contexts(page.items);
    return { alerts: page.items.map((r) => alertView(r, contexts.get(r.id))), next_cursor: page.next_cursor };
  }

  /** One alert with its context; null when there is none with this id. */
  async get(id: string): Promise<AlertViewT | null> {
    const row = await this.db.alert.findUnique({ where: { id } });
    return row ? alertView(row, (await this.contexts([row])).get(row.id)) : null;
  }

  /**
   * Marks an alert acknowledged, once: the conditional update makes two racing acks one winner.
   * `acked` false: it already was (the view says by whom and when); null: no such alert.
   */
  async ack(id: string, by: string, at: Date): Promise<{ acked: boolean; alert: AlertViewT } | null> {
    const { count } = await this.db.alert.updateMany({
      where: { id, ackedAt: null },
      data: { ackedAt: at, ackedBy: by },
    });
    const alert = await this.get(id);
    return alert ? { acked: count === 1, alert } : null;
  }
}
