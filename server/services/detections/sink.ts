// The AlertSink the detection engine raises into (alert.ts): for each alert, in this order,
//   1. the Alert row (store.ts), trimmed and validated — if this fails, raise() rejects and nothing
//      was kept, so the engine may try again;
//   2. one audit event `alert.<rule>` (component backend, result success, the alert's severity,
//      error_msg = the summary, trace_id = the alert's id, plus the context facts; user_id is the
//      pseudonym the triggering events carried), so the alert is sealed and shipped like any event;
//   3. the event's seq written back on the row (audit_seq);
//   4. the alert handed to the webhook's queue, if one is configured (never waited for).
// Once the row exists raise() resolves: a failed audit append is logged (the row keeps audit_seq
// null and the webhook still posts), because a retry by the engine would only duplicate the row.
import type { AuditFacts } from '../../../core/audit/event.js';
import type { Db } from '../../data/client.js';
import type { AuditService } from '../audit/service.js';
import type { AlertSink, RaisedAlert } from './alert.js';
import { AlertStore, alertView, type NormalizedAlert, normalizeAlert } from './store.js';
import type { AlertWebhook } from './webhook.js';

export interface AlertSinkLog {
  warn(msg: string): void;
  error(msg: string): void;
}

export interface AlertSinkDeps {
  readonly db: Db;
  readonly audit: Pick<AuditService, 'record'>;
  readonly log: AlertSinkLog;
  /** null: no webhook configured. */
  readonly webhook?: Pick<AlertWebhook, 'enqueue'> | null;
  readonly now?: () => Date;
}

/** The facts of an alert's audit event. */
export function alertAuditFacts(alert: NormalizedAlert, alertId: string) {
  return {
    component: 'backend',
    action: `alert.${alert.rule}`,
    result: 'success',
    severity: alert.severity,
    error_msg: alert.summary,
    trace_id: alertId,
    ...alert.context,
  } satisfies AuditFacts;
}

/** What an error may say in a log line: its code or class, never a message that could hold data. */
function errorName(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)
    ? code
    : err instanceof Error
      ? err.name
      : 'unknown error';
}

export function createAlertSink(deps: AlertSinkDeps): AlertSink {
  const store = new AlertStore(deps.db);
  return {
    async raise(raised: RaisedAlert): Promise<void> {
      const alert = normalizeAlert(raised, deps.now);
      if (alert.dropped.length > 0)
        deps.log.warn(`alert ${alert.rule}: left out (invalid or too large): ${alert.dropped.join(', ')}`);
      let row = await store.insert(alert);
      let seq: number | null = null;
      try {
        seq = (await deps.audit.record(alertAuditFacts(alert, row.id))).seq;
      } catch (err) {
        deps.log.error(`alert ${row.id} (${alert.rule}): audit event not recorded (${errorName(err)})`);
      }
      if (seq !== null) {
        try {
          row = await store.attachAuditSeq(row.id, seq);
        } catch (err) {
          deps.log.error(
            `alert ${row.id} (${alert.rule}): audit seq ${seq} not kept on the row (${errorName(err)})`,
          );
        }
      }
      deps.webhook?.enqueue(alertView(row, alert.context));
    },
  };
}
