// How admin actions appear in the audit stream (docs/admin-api.md, "Audit events"). The normalized
// schema has one user field and no actor field, so for component 'admin':
//   user_id   = the user the action is about (the target); for login/logout/own password/TOTP,
//               the acting account itself;
//   cmd       = the acting account's pseudonym (u-…), null only before authentication (login);
//   device_id / session_id = the target desktop device / VPN session;
//   policy_id = the target enrollment token (tokens are admission policy: tags, auto-approve), or
//               for the policy actions the access policy's wire id (`p-…`);
//   error_msg = for gateway, group and policy actions, the target in words (`group staff`,
//               `new version 3 of policy office`, `change <id>: …`);
//   trace_id  = the request id (also on the session.end events the action caused);
//   src_ip    = the administrator's address.
// Nothing secret is ever a fact here: no passwords, codes, tokens or TOTP secrets.

import type { UserRole } from '../../../core/api/admin.js';
import type { AuditEvent, AuditResult } from '../../../core/audit/event.js';
import type { AuditService } from '../audit/service.js';

/** Where a request came from; present on every admin event. */
export interface RequestMeta {
  readonly traceId: string;
  readonly ip: string;
}

/** The authenticated administrator acting on a request. */
export interface AdminActor extends RequestMeta {
  readonly userId: string;
  readonly auditId: string;
  readonly username: string;
  readonly role: UserRole;
}

/**
 * Admin actions are `admin.<verb>`; the access-policy actions (docs/policies.md) have their own
 * categories: `group.<verb>` (created, deleted, member_added, member_removed) and `policy.<verb>`
 * (created, version_created, assigned, unassigned, and the dual-approval steps relaxation_requested,
 * relaxation_approved, relaxation_rejected, relaxation_expired — requested/approved critical,
 * rejected/expired error).
 */
export type AdminAction = `admin.${string}` | `group.${string}` | `policy.${string}`;

export interface AdminEventFacts {
  readonly action: AdminAction;
  readonly result: AuditResult;
  /** auditId (not pseudonym) of the user the action is about. */
  readonly targetAuditId?: string | null;
  readonly device_id?: string | null;
  readonly session_id?: string | null;
  readonly policy_id?: string | null;
  readonly error_code?: AuditEvent['error_code'];
  readonly error_msg?: string | null;
  readonly severity?: AuditEvent['severity'];
}

const IP_RE = /^[0-9A-Fa-f.:]{2,45}$/;

export async function auditAdmin(
  audit: AuditService,
  who: RequestMeta | AdminActor,
  facts: AdminEventFacts,
): Promise<void> {
  const { targetAuditId, ...rest } = facts;
  await audit.record({
    component: 'admin',
    ...rest,
    userAuditId: targetAuditId ?? null,
    cmd: 'auditId' in who ? audit.userPseudonym(who.auditId) : null,
    trace_id: who.traceId,
    src_ip: IP_RE.test(who.ip) ? who.ip : null,
  });
}
