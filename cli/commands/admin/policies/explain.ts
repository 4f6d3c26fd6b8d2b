import { Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { ExplainReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand, checkId } from '../../../lib/admin-command.js';
import { formatTable, usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

export const AdminPoliciesExplainResultSchema = v1(ExplainReply.properties);
export type AdminPoliciesExplainResult = Static<typeof AdminPoliciesExplainResultSchema>;

/**
 * Which policy applies to a user and why, and what each of its rules says for a device, a source
 * address, a gateway and a time: the same resolution and evaluation as login, bootstrap and the
 * session watcher.
 */
export default class AdminPoliciesExplain extends AdminCommand<AdminPoliciesExplainResult> {
  static override summary = 'Explain which policy applies to a user and which rule allows or denies';
  static override examples = [
    '<%= config.bin %> admin policies explain --user alice',
    '<%= config.bin %> admin policies explain --user alice --device 0190f3c2-… --ip 203.0.113.9 --at 2026-12-05T09:00:00Z',
  ];
  static override flags = {
    user: Flags.string({ required: true, description: 'User id or username' }),
    device: Flags.string({ description: 'A desktop device id of the user (key protection, client version)' }),
    ip: Flags.string({ description: 'A source address (its country and AS from the server’s GeoIP data)' }),
    at: Flags.string({ description: 'The moment to evaluate, ISO-8601 (default: now)' }),
    gateway: Flags.string({ description: 'The gateway asked for' }),
  };

  async run(): Promise<AdminPoliciesExplainResult> {
    const { flags } = await this.parse(AdminPoliciesExplain);
    const at = flags.at === undefined ? undefined : Date.parse(flags.at);
    if (at !== undefined && Number.isNaN(at))
      throw usageError('--at is not a time', 'Use ISO-8601, e.g. 2026-12-05T09:00:00Z.');
    const client = await this.adminClient();
    const reply = await client.explainPolicy({
      user: await this.userId(client, flags.user),
      ...(flags.device === undefined ? {} : { device: checkId(flags.device, 'device') }),
      ...(flags.ip === undefined ? {} : { ip: flags.ip }),
      ...(at === undefined ? {} : { at: new Date(at).toISOString() }),
      ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
    });
    const p = reply.policy;
    const from =
      p.source === 'user'
        ? 'the user’s own assignment'
        : p.source === 'group'
          ? `group ${p.group}`
          : 'no assignment';
    this.log(`${reply.facts.username}: policy ${p.name} v${p.version} (${p.policy_id}), from ${from}`);
    const f = reply.facts;
    this.log(
      `Facts: at ${f.at}; device ${f.device_id ? `${f.key_protection}, client ${f.client_version ?? '?'}` : 'not given'}; ` +
        `source ${f.ip ? `${f.ip} (${f.country ?? 'country unknown'}, ${f.asn === null ? 'AS unknown' : `AS${f.asn}`})` : 'not given'}; ` +
        `phone ${f.phone_attested === null ? 'not bound' : f.phone_attested ? 'attested' : 'not attested'}`,
    );
    this.log('');
    this.log(
      formatTable(
        ['', 'RULE', 'DETAIL'],
        reply.rules.map((r) => [r.allowed ? '✓' : '✗', r.rule, r.detail]),
      ),
    );
    this.log('');
    this.log(reply.allowed ? 'ALLOWED' : `DENIED by ${reply.denied_by} (${reply.code})`);
    return { v: 1, ...reply };
  }
}
