// The normalized audit event (docs/architecture.md#audit-event-fields). Every event carries every
// mandatory field — `null` where it does not apply — so SIEM pipelines never guess at missing keys.
// User ids are pseudonymous (`u-` + keyed hash); the mapping to a real account stays in the backend database.
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../schema/strict.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Short = (max = 128) => Type.String({ minLength: 1, maxLength: max, pattern: '^[\\x20-\\x7E]*$' });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Count = Type.Integer({ minimum: 0 });
const IpAddress = Type.String({ maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' });

/** `client`: reported by an enrolled desktop, signed by its device key (POST /device/events). */
export const AUDIT_COMPONENTS = [
  'backend',
  'gateway',
  'daemon',
  'client',
  'cli',
  'mobile',
  'admin',
  'pki',
] as const;
export const AUDIT_RESULTS = ['success', 'failure', 'denied', 'error'] as const;
export const AUDIT_SEVERITIES = ['debug', 'info', 'notice', 'warning', 'error', 'critical'] as const;

export const AuditEventSchema = Type.Object(
  {
    timestamp: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' }),
    env: Short(32),
    site: Short(64),
    tenant_id: Short(64),
    user_id: Nullable(Type.String({ pattern: '^u-[0-9a-f]{24}$' })),
    device_id: Nullable(Short(80)),
    session_id: Nullable(Short(80)),
    src_ip: Nullable(IpAddress),
    src_port: Nullable(Port),
    dst_ip: Nullable(IpAddress),
    dst_port: Nullable(Port),
    proto: Nullable(Short(16)),
    asn: Nullable(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    country: Nullable(Type.String({ pattern: '^[A-Z]{2}$' })),
    component: Type.Enum(AUDIT_COMPONENTS),
    action: Type.String({ minLength: 3, maxLength: 64, pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$' }),
    result: Type.Enum(AUDIT_RESULTS),
    severity: Type.Enum(AUDIT_SEVERITIES),
    fwknop_id: Nullable(Short(80)),
    tls_ja3: Nullable(Type.String({ pattern: '^[0-9a-f]{32}$' })),
    ovpn_virtual_ip: Nullable(IpAddress),
    policy_id: Nullable(Short(80)),
    trace_id: Nullable(Type.String({ pattern: '^[A-Za-z0-9-]{8,64}$' })),
    cmd: Nullable(Short(64)),
    rc: Nullable(Type.Integer({ minimum: -255, maximum: 255 })),
    bytes_in: Nullable(Count),
    bytes_out: Nullable(Count),
    duration_ms: Nullable(Count),
    error_code: Nullable(Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$' })),
    error_msg: Nullable(Short(256)),
    // Extensions beyond the specification's mandatory list (pki-siem §3.5): present only when known,
    // so events recorded before they existed hash and verify exactly as they were written.
    /** The gateway a data-plane event happened on (its registered name). */
    gateway: Type.Optional(Short(64)),
    /** JA4 fingerprint of the TLS ClientHello (FoxIO's format, e.g. t13d1516h2_8daaf6152771_e5627efa2ab1). */
    tls_ja4: Type.Optional(
      Type.String({
        pattern: '^[tqd][0-9s][0-9][di][0-9]{2}[0-9]{2}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$',
      }),
    ),
  },
  closed,
);

export type AuditEvent = Static<typeof AuditEventSchema>;
export type AuditComponent = (typeof AUDIT_COMPONENTS)[number];
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** Where events come from; fixed for a process. */
export interface AuditContext {
  readonly env: string;
  readonly site: string;
  readonly tenant_id: string;
}

/** The extension fields: absent from an event unless known. */
type Extensions = 'gateway' | 'tls_ja4';

/** What a caller says about one action; everything it does not say is `null` (extensions: absent). */
export type AuditFacts = Pick<AuditEvent, 'component' | 'action' | 'result'> &
  Partial<Omit<AuditEvent, 'component' | 'action' | 'result' | 'env' | 'site' | 'tenant_id' | Extensions>> & {
    readonly [K in Extensions]?: AuditEvent[K] | null;
  };

const validator = strictValidator(AuditEventSchema);

const DEFAULT_SEVERITY: Record<AuditResult, AuditEvent['severity']> = {
  success: 'info',
  failure: 'notice',
  denied: 'warning',
  error: 'error',
};

/** Builds a complete, validated event. Throws VIW_E_VALIDATION on a bad field (paths only in details). */
export function buildAuditEvent(ctx: AuditContext, facts: AuditFacts, now: Date = new Date()): AuditEvent {
  const { gateway, tls_ja4, ...said } = facts;
  const event: AuditEvent = {
    timestamp: now.toISOString(),
    env: ctx.env,
    site: ctx.site,
    tenant_id: ctx.tenant_id,
    user_id: null,
    device_id: null,
    session_id: null,
    src_ip: null,
    src_port: null,
    dst_ip: null,
    dst_port: null,
    proto: null,
    asn: null,
    country: null,
    fwknop_id: null,
    tls_ja3: null,
    ovpn_virtual_ip: null,
    policy_id: null,
    trace_id: null,
    cmd: null,
    rc: null,
    bytes_in: null,
    bytes_out: null,
    duration_ms: null,
    error_code: null,
    error_msg: null,
    ...said,
    ...(gateway != null ? { gateway } : {}),
    ...(tls_ja4 != null ? { tls_ja4 } : {}),
    severity: facts.severity ?? DEFAULT_SEVERITY[facts.result],
  };
  return validator.parse(event);
}

export function isAuditEvent(value: unknown): value is AuditEvent {
  return validator.check(value);
}

export function parseAuditEvent(value: unknown): AuditEvent {
  return validator.parse(value);
}
