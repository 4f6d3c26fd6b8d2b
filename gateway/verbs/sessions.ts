// VPN session authorization on this gateway. OpenVPN runs with `ccd-exclusive`, so a session's CCD
// file IS its permission to connect: vpn_user_create writes it, update_ccd rewrites it (only for a
// session that exists — it must never be a back door to authorize one), vpn_user_delete removes it
// and disconnects the session. Every expiry is also kept in sessions.json and enforced by the
// gateway itself on every request, so a session the backend forgot still ends.
//
// Each session also has a VPN address the node pins (session-address.ts) and forwarding rules in
// the kernel for that address (gateway/firewall/session-forwarding.ts): its session_filter, or the
// node's push_routes until it has one. They are installed before the CCD is written (the session
// can connect only once the CCD exists) and removed with the session.
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { CcdInput } from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { installSessionRules, removeSessionRules } from '../firewall/session-forwarding.js';
import type { NodeConfig } from '../node-config.js';
import { killByCommonName } from '../openvpn/management.js';
import { ensureParentDir, removeIfExists, writeFileIfChanged } from '../state/atomic-file.js';
import { readApplied, readSessions, type SessionsState, writeSessions } from '../state/node-state.js';
import { endSessionBrowser, reapBrowsers } from './browser.js';
import { renderCcd } from './ccd-file.js';
import { pinSession } from './session-address.js';

export const ccdPath = (config: NodeConfig, sessionId: string) => join(config.facts.paths.ccdDir, sessionId);
const nowSeconds = (ctx: VerbContext) => Math.floor(ctx.now().getTime() / 1000);

async function writeSession(ctx: VerbContext, mustExist: boolean): Promise<VerbOutcome> {
  const input = ctx.input as CcdInput;
  const [sessionId = ''] = ctx.args;
  if (input.expires_at <= nowSeconds(ctx)) {
    throw new ViworksError('VIW_E_VALIDATION', { message: 'invalid request: expires_at is in the past' });
  }
  const state = readSessions(ctx.config.state_dir);
  if (mustExist && !Object.hasOwn(state.sessions, sessionId)) {
    throw new ViworksError('VIW_E_NOT_FOUND', { message: 'no such session on this gateway' });
  }
  // The record (with its expiry and address) before the file: a record without its file is pruned
  // later, harmlessly; a file without its record would never expire.
  state.sessions[sessionId] = { ...state.sessions[sessionId], expires_at: input.expires_at };
  const pin = pinSession(state, sessionId, readApplied(ctx.config.state_dir).settings);
  const stateChanged = writeSessions(ctx.config.state_dir, state);
  // Rules before the CCD: the session must not be able to connect before its rules are in place.
  const rules = await installSessionRules(ctx.config, state, sessionId);
  ensureParentDir(ccdPath(ctx.config, sessionId));
  const fileChanged = writeFileIfChanged(ccdPath(ctx.config, sessionId), renderCcd(input, pin), 0o644);
  return { changed: stateChanged || fileChanged || rules.rebuilt };
}

export const vpnUserCreate = (ctx: VerbContext) => writeSession(ctx, false);
export const updateCcd = (ctx: VerbContext) => writeSession(ctx, true);

function without(state: SessionsState, sessionId: string): SessionsState {
  const sessions = { ...state.sessions };
  delete sessions[sessionId];
  return { ...state, sessions };
}

async function removeSession(
  config: NodeConfig,
  sessionId: string,
): Promise<{ changed: boolean; killed: number }> {
  const state = readSessions(config.state_dir);
  const record = state.sessions[sessionId];
  // File first: once it is gone the session cannot reconnect, then the live tunnel is cut, then its
  // forwarding rules go. The record goes last: if removing the rules fails, a retry (or the next
  // prune) still knows the address to remove them for.
  const removed = removeIfExists(ccdPath(config, sessionId));
  const killed = await killByCommonName(config.facts.paths.openvpnMgmtSocket, sessionId);
  // Its browser (viewer location, sandbox) before its record: a failure leaves the record for a retry.
  const browser = await endSessionBrowser(config, sessionId);
  if (record) {
    const remaining = without(state, sessionId);
    await removeSessionRules(config, sessionId, record.address, remaining);
    writeSessions(config.state_dir, remaining);
  }
  return { changed: record !== undefined || removed || killed > 0 || browser, killed };
}

export async function vpnUserDelete(ctx: VerbContext): Promise<VerbOutcome> {
  const { changed, killed } = await removeSession(ctx.config, ctx.args[0] ?? '');
  return { changed, result: { killed } };
}

export async function terminateSession(ctx: VerbContext): Promise<VerbOutcome> {
  const killed = await killByCommonName(ctx.config.facts.paths.openvpnMgmtSocket, ctx.args[0] ?? '');
  return { changed: killed > 0, result: { killed } };
}

/**
 * Removes every session whose expiry has passed (file, live tunnel, browser, rules, record), then
 * the browsers nobody records any more (gateway/verbs/browser.ts reapBrowsers); returns their ids.
 */
export async function pruneExpiredSessions(config: NodeConfig, now: Date): Promise<string[]> {
  const nowS = Math.floor(now.getTime() / 1000);
  const expired = Object.entries(readSessions(config.state_dir).sessions)
    .filter(([, s]) => s.expires_at <= nowS)
    .map(([id]) => id);
  for (const id of expired) await removeSession(config, id);
  await reapBrowsers(config, now);
  return expired;
}
