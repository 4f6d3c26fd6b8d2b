// session_open <s-id> [<d-id>]: a bootstrap's gateway step as one command (core/gateway/control.ts
// SessionOpenInput). It runs the three verbs it stands for, in the order the backend used to send
// them, under the one node lock the dispatcher already holds: the device's SPA keys (so it can
// knock), the session's authorization (its CCD entry and pinned address, rules before the file),
// then the policy's forwarding for it. Composing the verbs keeps each one's checks and idempotence;
// the first failure is the command's (nothing after it runs, and the backend ends the session).
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { SessionOpenInput } from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { checkSessionNetworks } from '../firewall/ipv4.js';
import { sessionFilter } from './session-filter.js';
import { vpnUserCreate } from './sessions.js';
import { spaKeyAdd } from './spa-keys.js';

export async function sessionOpen(ctx: VerbContext): Promise<VerbOutcome> {
  const input = ctx.input as SessionOpenInput;
  const [sessionId = '', deviceId] = ctx.args;
  if ((deviceId === undefined) !== (input.spa === undefined)) {
    throw new ViworksError('VIW_E_VALIDATION', {
      message: 'invalid request: SPA keys need their device argument, and a device argument its keys',
    });
  }
  // The filter's networks are checked before any step runs: a document refused for them changes
  // nothing (the later steps' other checks would leave the earlier ones applied).
  if (input.filter.networks !== 'unrestricted') checkSessionNetworks(input.filter.networks);
  let changed = false;
  if (deviceId !== undefined && input.spa) {
    changed = (await spaKeyAdd({ ...ctx, args: [deviceId], input: input.spa })).changed;
  }
  changed = (await vpnUserCreate({ ...ctx, args: [sessionId], input: input.ccd })).changed || changed;
  const filtered = await sessionFilter({ ...ctx, args: [sessionId], input: input.filter });
  return { changed: filtered.changed || changed, ...(filtered.result ? { result: filtered.result } : {}) };
}
