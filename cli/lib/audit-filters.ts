// The filters `admin audit query` and `admin audit export` share: the same flags, mapped to the same
// query fields of GET /admin/audit and /admin/audit/export (core/api/admin-audit.ts reuses the
// audit query's fields), so an export holds exactly the events the query would list.
import { Flags } from '@oclif/core';
import type { AuditQueryT } from '../../core/api/admin.js';
import { AUDIT_RESULTS, type AuditResult } from '../../core/audit/event.js';

export const auditFilterFlags = {
  from: Flags.string({ description: 'From this time, inclusive (ISO-8601 UTC)' }),
  to: Flags.string({ description: 'Before this time (ISO-8601 UTC)' }),
  action: Flags.string({ description: 'Action prefix, e.g. admin. or auth.login' }),
  result: Flags.option({ options: AUDIT_RESULTS, description: 'Only this result' })(),
  user: Flags.string({ description: 'Pseudonym (u-…) of the user the event is about' }),
  actor: Flags.string({ description: 'Pseudonym (u-…) of the acting administrator' }),
  session: Flags.string({ description: 'Session id' }),
  device: Flags.string({ description: 'Desktop device id' }),
};

/** The parsed values of auditFilterFlags (undefined: not given). */
export interface AuditFilterValues {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly action?: string | undefined;
  readonly result?: AuditResult | undefined;
  readonly user?: string | undefined;
  readonly actor?: string | undefined;
  readonly session?: string | undefined;
  readonly device?: string | undefined;
}

export type AuditFilterQuery = Pick<
  AuditQueryT,
  'from' | 'to' | 'action_prefix' | 'result' | 'user_id' | 'actor' | 'session_id' | 'device_id'
>;

/** The given filters as query fields, under the API's names; a flag not given adds no field. */
export function auditFilterQuery(flags: AuditFilterValues): AuditFilterQuery {
  const fields = {
    from: flags.from,
    to: flags.to,
    action_prefix: flags.action,
    result: flags.result,
    user_id: flags.user,
    actor: flags.actor,
    session_id: flags.session,
    device_id: flags.device,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
