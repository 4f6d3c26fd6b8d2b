// session_filter <s-id>: the policy's networks for one live or authorized session, applied to the
// kernel as a delta (architecture §6.3: apply delta → ack + status), so a routes change reaches a
// connected session without a reconnect. Strict: a network that is not canonical, a /0, overlapping
// networks or too many refuse the whole document (exit 2); an unknown session is VIW_E_NOT_FOUND —
// like update_ccd, it never authorizes one; an older version of the policy in effect is
// VIW_E_CONFLICT (a stale retry must not undo a newer change). Idempotent: the same document again
// is `changed: false`. The ack names the tag now in effect.
import { ViworksError } from '../../core/errors/viworks-error.js';
import {
  type SessionFilterInput,
  type SessionFilterResult,
  sessionFilterResult,
} from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { checkSessionNetworks } from '../firewall/ipv4.js';
import { installSessionRules } from '../firewall/session-forwarding.js';
import { readSessions, writeSessions } from '../state/node-state.js';

export async function sessionFilter(ctx: VerbContext): Promise<VerbOutcome> {
  const input = ctx.input as SessionFilterInput;
  const [sessionId = ''] = ctx.args;
  const networks = input.networks === 'unrestricted' ? 'unrestricted' : checkSessionNetworks(input.networks);
  if (input.expires_at <= Math.floor(ctx.now().getTime() / 1000)) {
    throw new ViworksError('VIW_E_VALIDATION', { message: 'invalid request: expires_at is in the past' });
  }
  const state = readSessions(ctx.config.state_dir);
  const record = state.sessions[sessionId];
  if (!record) throw new ViworksError('VIW_E_NOT_FOUND', { message: 'no such session on this gateway' });
  const current = record.filter?.policy;
  if (current && current.policy_id === input.policy.policy_id && input.policy.version < current.version) {
    throw new ViworksError('VIW_E_CONFLICT', {
      message: `a newer version of this policy is in effect (v${current.version})`,
    });
  }
  const policy = { policy_id: input.policy.policy_id, version: input.policy.version };
  record.expires_at = input.expires_at;
  record.filter = { policy, networks };
  // Kernel first, record second: health reports the recorded tag as in effect, so it is recorded
  // only once nft has taken the rules (a refused batch leaves the previous rules and tag in place).
  const rules = await installSessionRules(ctx.config, state, sessionId);
  const stateChanged = writeSessions(ctx.config.state_dir, state);
  const result: SessionFilterResult = {
    session: sessionId,
    policy,
    address: record.address ?? null,
    installed: rules.installed,
    networks: networks === 'unrestricted' ? networks : networks.length,
    expires_at: record.expires_at,
  };
  return {
    changed: stateChanged || rules.rebuilt,
    result: sessionFilterResult.parse(result, 'VIW_E_INTERNAL'),
  };
}
