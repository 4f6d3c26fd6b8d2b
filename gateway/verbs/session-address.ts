// How the node knows which VPN address is which session's: it decides them itself. Each authorized
// session gets an address of the VPN pool when it is authorized (or, before the node has a pool,
// at the first apply_config), recorded in sessions.json and pinned in its CCD with `ifconfig-push`;
// the OpenVPN server runs `server … nopool`, so no client ever gets an address the node did not
// pin, and the forwarding rules for that address are in the kernel before the session can connect.
//
// Why not OpenVPN's `learn-address` hook: the script would run as the unprivileged user OpenVPN
// drops to (and under the unit's NoNewPrivileges), so it could not change nftables without a setuid
// helper or sudo; it needs `script-security 2`; and between the connect and the script's work the
// session would have no rules (or would have to be dropped). Pinning needs no script, no privilege
// and leaves no such window.
//
// Allocation: the lowest free client address of the pool (network+2 … broadcast−1; network+1 is
// the server). An address stays with its session for the session's life; apply_config re-pins only
// sessions whose address is no longer in the (changed) pool.
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { GatewaySettings } from '../../core/gateway/control.js';
import { inPool, ipToInt, lowestFree, vpnPool } from '../firewall/ipv4.js';
import type { SessionsState } from '../state/node-state.js';
import type { AddressPin } from './ccd-file.js';

function usedBy(state: SessionsState, except: string): Set<string> {
  const used = new Set<string>();
  for (const [id, rec] of Object.entries(state.sessions))
    if (id !== except && rec.address) used.add(rec.address);
  return used;
}

const poolFull = () =>
  new ViworksError('VIW_E_CONFLICT', { message: 'the VPN pool of this gateway is full' });

/**
 * Makes sure the (already recorded) session has an address of the pool, keeping the one it has;
 * mutates `state`. Null when the node has no pool yet (no apply_config).
 */
export function pinSession(
  state: SessionsState,
  sessionId: string,
  settings: GatewaySettings | null,
): AddressPin | null {
  const rec = state.sessions[sessionId];
  if (!settings || !rec) return null;
  const pool = vpnPool(settings.vpn_network);
  const used = usedBy(state, sessionId);
  if (!rec.address || !inPool(pool, rec.address) || used.has(rec.address)) {
    const address = lowestFree(pool, used);
    if (address === null) throw poolFull();
    rec.address = address;
  }
  return { address: rec.address, netmask: pool.netmask };
}

/**
 * apply_config: every session gets an address of the (possibly new) pool — sessions in id order,
 * those whose address is still valid keep it. Mutates `state`; returns each session's pin.
 */
export function pinAll(state: SessionsState, settings: GatewaySettings): Map<string, AddressPin> {
  const pool = vpnPool(settings.vpn_network);
  const ids = Object.keys(state.sessions).sort();
  // Addresses outside the pool, or taken twice, are released first so the valid ones keep theirs.
  const used = new Set<string>();
  for (const id of ids) {
    const rec = state.sessions[id];
    if (!rec?.address) continue;
    if (!inPool(pool, rec.address) || used.has(rec.address)) delete rec.address;
    else used.add(rec.address);
  }
  const pins = new Map<string, AddressPin>();
  let cursor = pool.first;
  for (const id of ids) {
    const rec = state.sessions[id];
    if (!rec) continue;
    if (!rec.address) {
      const address = lowestFree(pool, used, cursor);
      if (address === null) throw poolFull();
      used.add(address);
      cursor = ipToInt(address) + 1;
      rec.address = address;
    }
    pins.set(id, { address: rec.address, netmask: pool.netmask });
  }
  return pins;
}
