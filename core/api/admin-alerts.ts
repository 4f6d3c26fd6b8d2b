// Wire contract of /admin/alerts (docs/admin-api.md, docs/detections.md): the alerts the detection
// rules raised, listed newest first, and their acknowledgement; also the body of the signed alert
// webhook, which carries the same alert object. Objects are closed; times are ISO-8601 UTC.
import { type Static, type TSchema, Type } from 'typebox';
import { AuditEventSchema } from '../audit/event.js';
import { Id } from './admin.js';
import { closed, IsoTime } from './common.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Text that came from logs and rules: printable ASCII only, so it cannot forge lines or hide text. */
const Printable = (max: number, min = 0) =>
  Type.String({ minLength: min, maxLength: max, pattern: '^[\\x20-\\x7E]*$' });
/** Query times: with or without milliseconds. */
const QueryTime = Type.String({
  maxLength: 30,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
});
const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' });
const Pseudonym = Type.String({ pattern: '^u-[0-9a-f]{24}$' });

/** Audit severities an alert may carry (its `alert.<rule>` event has the same). */
export const ALERT_SEVERITIES = ['warning', 'error', 'critical'] as const;
export type AlertSeverityT = (typeof ALERT_SEVERITIES)[number];
/** A rule id (docs/detections.md): snake_case, the part after `alert.` in the audit action. */
export const ALERT_RULE_PATTERN = '^[a-z][a-z0-9_]{1,63}$';
export const AlertRule = Type.String({ pattern: ALERT_RULE_PATTERN });

/** Caps of what an alert carries; the store trims to them (server/services/detections/store.ts). */
export const ALERT_LIMITS = {
  keyChars: 128,
  summaryChars: 200,
  fieldTextChars: 256,
  fieldListItems: 32,
  fields: 32,
  /** The fields as compact JSON, evidence included. */
  fieldsBytes: 4096,
  evidence: 32,
} as const;
export const ALERT_FIELD_KEY_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
const FieldText = Printable(ALERT_LIMITS.fieldTextChars);
export const AlertFieldValue = Type.Union([
  FieldText,
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
  Type.Array(Type.Union([FieldText, Type.Number()]), { maxItems: ALERT_LIMITS.fieldListItems }),
]);
/** Counts, addresses, ASNs, fingerprints: never a secret. */
export const AlertFields = Type.Record(Type.String({ pattern: ALERT_FIELD_KEY_PATTERN }), AlertFieldValue, {
  additionalProperties: false,
  maxProperties: ALERT_LIMITS.fields,
});

const E = AuditEventSchema.properties;
/** The audit facts of the alert's event: who and where it is about (null when the rule did not say). */
export const AlertContext = Type.Object(
  {
    user_id: E.user_id,
    device_id: E.device_id,
    session_id: E.session_id,
    src_ip: E.src_ip,
    asn: E.asn,
    country: E.country,
    tls_ja3: E.tls_ja3,
    policy_id: E.policy_id,
  },
  closed,
);
export const ALERT_CONTEXT_KEYS = Object.keys(AlertContext.properties) as readonly (keyof Static<
  typeof AlertContext
>)[];

export const AlertView = Type.Object(
  {
    id: Id,
    rule: AlertRule,
    severity: Type.Enum(ALERT_SEVERITIES),
    /** What the alert is about within its rule (a user pseudonym, a source address, a gateway name). */
    key: Printable(ALERT_LIMITS.keyChars, 1),
    summary: Printable(ALERT_LIMITS.summaryChars, 1),
    fields: AlertFields,
    /** Audit sequence numbers of the events that made the rule fire (the last few). */
    evidence: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: ALERT_LIMITS.evidence }),
    context: AlertContext,
    /** Sequence number of the `alert.<rule>` audit event; null only when recording it failed. */
    audit_seq: Nullable(Type.Integer({ minimum: 1 })),
    fired_at: IsoTime,
    acked_at: Nullable(IsoTime),
    /** Pseudonym of the administrator who acknowledged it. */
    acked_by: Nullable(Pseudonym),
  },
  closed,
);

export const ListAlertsQuery = Type.Object(
  {
    cursor: Type.Optional(Id),
    limit: Type.Optional(Limit),
    rule: Type.Optional(AlertRule),
    acked: Type.Optional(Type.Enum(['true', 'false'])),
    severity: Type.Optional(Type.Enum(ALERT_SEVERITIES)),
    /** Fired at or after (inclusive). */
    since: Type.Optional(QueryTime),
    /** Fired before (exclusive). */
    until: Type.Optional(QueryTime),
  },
  closed,
);
export const ListAlertsReply = Type.Object(
  { alerts: Type.Array(AlertView), next_cursor: Nullable(Id) },
  closed,
);
export const AlertReply = Type.Object({ alert: AlertView }, closed);

/**
 * The body the alert webhook POSTs (server/services/detections/webhook.ts), signed in the
 * X-Viworks-Signature header like the SIEM HTTPS bodies. A retry sends the same bytes: receivers
 * de-duplicate by `alert.id`.
 */
export const AlertWebhookBody = Type.Object(
  {
    v: Type.Literal(1),
    type: Type.Literal('viworks.alert'),
    env: E.env,
    site: E.site,
    tenant_id: E.tenant_id,
    alert: AlertView,
  },
  closed,
);

export type AlertViewT = Static<typeof AlertView>;
export type AlertContextT = Static<typeof AlertContext>;
export type AlertFieldsT = Static<typeof AlertFields>;
export type AlertFieldValueT = Static<typeof AlertFieldValue>;
export type ListAlertsQueryT = Static<typeof ListAlertsQuery>;
export type AlertWebhookBodyT = Static<typeof AlertWebhookBody>;
