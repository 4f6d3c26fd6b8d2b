// The Audit page's search form as typed (text and datetime-local fields) and the API query it
// becomes: empty fields are left out, local times become the API's UTC instants. Pure, so the
// page and its export share one translation and a unit test can pin it.
import type { AuditQueryT } from '../../../../../core/api/admin.js';

export const AUDIT_RESULTS = ['success', 'failure', 'denied', 'error'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface AuditForm {
  readonly user: string;
  readonly actor: string;
  readonly session: string;
  readonly device: string;
  readonly action: string;
  readonly result: AuditResult | '';
  /** `datetime-local` values (local time, no zone), or ''. */
  readonly from: string;
  readonly to: string;
}

export const EMPTY_AUDIT_FORM: AuditForm = {
  user: '',
  actor: '',
  session: '',
  device: '',
  action: '',
  result: '',
  from: '',
  to: '',
};

export type AuditFilter = Omit<AuditQueryT, 'limit' | 'cursor' | 'order'>;

/** A datetime-local value as the API's instant (`…T…:…:….000Z`), or undefined when unreadable. */
export function instantOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

export function auditFilterOf(form: AuditForm): AuditFilter {
  const from = instantOf(form.from);
  const to = instantOf(form.to);
  const f: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
  if (form.user.trim()) f.user_id = form.user.trim();
  if (form.actor.trim()) f.actor = form.actor.trim();
  if (form.session.trim()) f.session_id = form.session.trim();
  if (form.device.trim()) f.device_id = form.device.trim();
  // The API matches a prefix of the action and accepts only its lower-case alphabet.
  if (form.action.trim()) f.action_prefix = form.action.trim().toLowerCase();
  if (form.result) f.result = form.result;
  if (from) f.from = from;
  if (to) f.to = to;
  return f;
}
