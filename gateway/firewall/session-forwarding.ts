// The forwarding table from the node's state: what each session may reach (its session_filter, or
// the node's push_routes until it has one) at its pinned address. A change to one session is a
// delta (forward-table.ts) touching only that session; when the delta cannot apply — the table is
// gone (a reboot, someone's flush) or out of step with the state — the whole table is rebuilt from
// the state in one transaction, so every session verb also repairs the table.
import type { GatewaySettings } from '../../core/gateway/control.js';
import type { NodeConfig } from '../node-config.js';
import { readApplied, type SessionsState } from '../state/node-state.js';
import {
  type ForwardTablePlan,
  renderForwardTable,
  renderSessionRemoval,
  renderSessionUpdate,
  type SessionRules,
} from './forward-table.js';
import { cidrText, type Ipv4Net, lastOf, parseNet } from './ipv4.js';
import { applyNftBatch } from './nft.js';

/** settings.push_routes as one session's networks: sorted, those inside another one left out. */
export function baselineNetworks(settings: GatewaySettings | null): string[] {
  const nets = (settings?.push_routes ?? [])
    .map(parseNet)
    .filter((n): n is Ipv4Net => n !== null)
    .sort((a, b) => a.base - b.base || a.prefix - b.prefix);
  const kept: Ipv4Net[] = [];
  for (const n of nets) {
    const prev = kept.at(-1);
    if (!prev || n.base > lastOf(prev)) kept.push(n);
  }
  return kept.map(cidrText);
}

/** One session's rules; null while it has no address (nothing to install yet). */
export function rulesOf(
  state: SessionsState,
  sessionId: string,
  settings: GatewaySettings | null,
): SessionRules | null {
  const rec = state.sessions[sessionId];
  if (!rec?.address) return null;
  return {
    session: sessionId,
    address: rec.address,
    networks: rec.filter?.networks ?? baselineNetworks(settings),
    expiresAt: rec.expires_at,
    tag: rec.filter?.policy ?? null,
  };
}

export function planOf(state: SessionsState, settings: GatewaySettings | null): ForwardTablePlan {
  const sessions = Object.keys(state.sessions)
    .sort()
    .map((id) => rulesOf(state, id, settings))
    .filter((r): r is SessionRules => r !== null);
  return { pushedDns: settings?.push_dns ?? [], sessions };
}

export interface ForwardingChange {
  /** The session's rules are in the kernel (false: it has no address yet). */
  readonly installed: boolean;
  /** The delta could not apply and the whole table was rebuilt from the state. */
  readonly rebuilt: boolean;
}

/** Loads the whole table from `state` (apply_config, and the fallback of every delta). */
export async function rebuildForwardTable(config: NodeConfig, state: SessionsState): Promise<void> {
  await applyNftBatch(config, renderForwardTable(planOf(state, readApplied(config.state_dir).settings)));
}

/** Puts one session's rules (as `state` has them) in the kernel. */
export async function installSessionRules(
  config: NodeConfig,
  state: SessionsState,
  sessionId: string,
): Promise<ForwardingChange> {
  const rules = rulesOf(state, sessionId, readApplied(config.state_dir).settings);
  if (!rules) return { installed: false, rebuilt: false };
  try {
    await applyNftBatch(config, renderSessionUpdate(rules));
    return { installed: true, rebuilt: false };
  } catch {
    await rebuildForwardTable(config, state);
    return { installed: true, rebuilt: true };
  }
}

/**
 * Takes one session's rules out of the kernel. `remaining` is the state without that session (what
 * a rebuild loads if the delta cannot apply).
 */
export async function removeSessionRules(
  config: NodeConfig,
  sessionId: string,
  address: string | undefined,
  remaining: SessionsState,
): Promise<void> {
  if (!address) return;
  try {
    await applyNftBatch(config, renderSessionRemoval(sessionId, address));
  } catch {
    await rebuildForwardTable(config, remaining);
  }
}
