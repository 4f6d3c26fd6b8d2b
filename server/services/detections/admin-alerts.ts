// Admin API: the alerts (store.ts) — list them, acknowledge one. An acknowledgement is kept on the
// row (who, when) and audited as `admin.alert_ack` (cmd = the administrator, error_msg = the alert),
// once: a second ack of the same alert is refused with 409 naming the first.
import type { ListAlertsQueryT } from '../../../core/api/admin-alerts.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import { type AdminActor, auditAdmin } from '../admin/audit-events.js';
import { AlertStore } from './store.js';

export type AlertAdminDeps = Pick<AppContext, 'db' | 'audit' | 'now'>;

export function listAlerts(deps: Pick<AppContext, 'db'>, q: ListAlertsQueryT) {
  return new AlertStore(deps.db).list(q);
}

export async function ackAlert(deps: AlertAdminDeps, actor: AdminActor, id: string) {
  const by = deps.audit.userPseudonym(actor.auditId);
  const outcome = await new AlertStore(deps.db).ack(id, by, deps.now());
  if (!outcome) throw new ViworksError('VIW_E_NOT_FOUND');
  const { alert } = outcome;
  if (!outcome.acked)
    throw new ViworksError('VIW_E_CONFLICT', {
      details: [`already acknowledged at ${alert.acked_at} by ${alert.acked_by}`],
    });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.alert_ack',
    result: 'success',
    error_msg: `alert ${alert.id} (${alert.rule})`,
  });
  return { alert };
}
