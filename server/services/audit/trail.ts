// One audit event per identity request, whatever its outcome. The route opens a trail, the
// service adds what it learns (the user, the device) and may mark an HTTP success as an
// authentication failure (decoy answers); `run` records exactly one event at the end, also
// when the request fails. Never put a value (password, code, token, key) into a trail.
import type { AuditResult } from '../../../core/audit/event.js';
import type { ErrorCode } from '../../../core/errors/catalogue.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import type { AuditService } from './service.js';

const DENIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VIW_E_ACCOUNT_LOCKED',
  'VIW_E_ATTESTATION_REQUIRED',
  'VIW_E_DEVICE_PENDING',
  'VIW_E_DEVICE_REVOKED',
  'VIW_E_OTP_DENIED',
  'VIW_E_PASSWORD_CHANGE_REQUIRED',
  'VIW_E_POLICY_SCHEDULE',
  'VIW_E_POLICY_LOCATION',
  'VIW_E_POLICY_POSTURE',
  'VIW_E_POLICY_GATEWAY',
]);

export interface TrailOrigin {
  readonly srcIp: string;
  readonly traceId: string;
}

export class AuditTrail {
  private userAuditId: string | null = null;
  private deviceId: string | null = null;
  private override: { result: AuditResult; code: ErrorCode | null; reason: string } | null = null;
  private skipped = false;
  private declaredText: string | null = null;
  private policyTag: string | null = null;

  constructor(
    private readonly audit: AuditService,
    readonly action: string,
    readonly origin: TrailOrigin,
  ) {}

  user(auditId: string | null | undefined): this {
    if (auditId) this.userAuditId = auditId;
    return this;
  }

  device(id: string | null | undefined): this {
    if (id) this.deviceId = id;
    return this;
  }

  /** The access policy evaluated for this request (`p-…@version`), carried by its events. */
  policy(tag: string): this {
    this.policyTag = tag;
    return this;
  }

  /** Records the request as failed (or denied) although it answers normally (anti-enumeration
   * decoys; a login that must change its password first). */
  failQuietly(code: ErrorCode, reason: string, result: 'failure' | 'denied' = 'failure'): void {
    this.override = { result, code, reason };
  }

  /** Nothing worth an event happened (e.g. a phone poll that found no challenge). */
  skip(): void {
    this.skipped = true;
  }

  /** Records the outcome; the reason is a short fixed phrase such as "wrong password". */
  note(reason: string): void {
    this.override = { result: this.override?.result ?? 'success', code: this.override?.code ?? null, reason };
  }

  /**
   * What the client declared about itself (e.g. its process posture at login), added after the
   * reason of this trail's own event, whatever its outcome. Built from enum values only.
   */
  declared(text: string): this {
    this.declaredText = text;
    return this;
  }

  /** Another event in the same request (e.g. auth.lockout) with this trail's user and origin. */
  async also(
    action: string,
    result: AuditResult,
    reason: string | null,
    opts: { code?: ErrorCode | null; deviceId?: string } = {},
  ) {
    await this.audit.record({
      component: 'backend',
      action,
      result,
      userAuditId: this.userAuditId,
      device_id: opts.deviceId ?? this.deviceId,
      src_ip: this.origin.srcIp,
      policy_id: this.policyTag,
      trace_id: this.origin.traceId,
      error_code: opts.code ?? null,
      error_msg: reason,
    });
  }

  async run<T>(fn: (trail: this) => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await fn(this);
    } catch (err) {
      const code: ErrorCode = isViworksError(err) ? err.code : 'VIW_E_INTERNAL';
      const result: AuditResult =
        !isViworksError(err) || err.status >= 500 ? 'error' : DENIED.has(code) ? 'denied' : 'failure';
      await this.also(this.action, result, this.withDeclared(this.override?.reason ?? 'refused'), { code });
      throw err;
    }
    const o = this.override;
    if (this.skipped) return value;
    await this.also(this.action, o?.result ?? 'success', this.withDeclared(o?.reason ?? null), {
      code: o?.code ?? null,
    });
    return value;
  }

  private withDeclared(reason: string | null): string | null {
    if (!this.declaredText) return reason;
    return (reason ? `${reason}; ${this.declaredText}` : this.declaredText).slice(0, 256);
  }
}
