import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { AlertReply } from '../../../../core/api/admin-alerts.js';
import { AdminCommand, checkId } from '../../../lib/admin-command.js';
import { v1 } from '../../../lib/results.js';

/** `admin alerts ack`: the alert, now acknowledged by you. */
export const AdminAlertsAckResultSchema = v1(AlertReply.properties);
export type AdminAlertsAckResult = Static<typeof AdminAlertsAckResultSchema>;

/** Acknowledges an alert: it has been looked at. Audited; an alert is acknowledged once (exit 4 after). */
export default class AdminAlertsAck extends AdminCommand<AdminAlertsAckResult> {
  static override summary = 'Acknowledge an alert';
  static override examples = ['<%= config.bin %> admin alerts ack 0190f3c2-…'];
  static override args = { id: Args.string({ required: true, description: 'Alert id (alerts list)' }) };

  async run(): Promise<AdminAlertsAckResult> {
    const { args } = await this.parse(AdminAlertsAck);
    const reply = await (await this.adminClient()).ackAlert(checkId(args.id, 'alert'));
    const a = reply.alert;
    this.log(`Alert ${a.id} (${a.rule}: ${a.summary}) acknowledged at ${a.acked_at} by ${a.acked_by}`);
    return { v: 1, ...reply };
  }
}
