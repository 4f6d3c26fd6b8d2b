// GET /v1/diagnostics (`viworks doctor`): the daemon's privileged view of this machine, as the
// checks of core/diagnostics/checks.ts, every one of DAEMON_DIAGNOSTIC_IDS in order. It reuses
// what connect's preflight uses — the pinned backend client's /health (reachability, round trip,
// the SPKI pin, the server's clock), activeTunnels (`ip` links and routes), the resolver with its
// timeout — and reads the device keys only to wipe them (device-keys.ts); the kill switch and the
// session's DNS come from the network guard (network-guard.ts), with the kernel's nftables table
// and the resolvers in use read as the leak checks read them. Read-only: it changes no
// state and never runs during a state change's decisions. Addresses are redacted here unless the
// caller asks for them (core/diagnostics/redact.ts), so no front-end shows one by accident.
import type { DiagnosticCheck, DiagnosticsResponseSchema } from '../../core/api/local.js';
import { DAEMON_DIAGNOSTIC_IDS, LOCAL_API_VERSION } from '../../core/api/local.js';
import {
  backendCheck,
  clockCheck,
  type DnsFacts,
  deviceKeyCheck,
  dnsConfigCheck,
  enrollmentCheck,
  gatewayDnsCheck,
  killSwitchCheck,
  lastErrorCheck,
  otherVpnCheck,
  redactChecks,
  staleRoutesCheck,
  type TunFacts,
  type TunnelFacts,
  tunDeviceCheck,
} from '../../core/diagnostics/checks.js';
import { dnsFacts, sysfsTunnels, tunFacts } from '../../core/diagnostics/probes.js';
import { createRedactor } from '../../core/diagnostics/redact.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type ActiveTunnels, activeTunnels } from '../datapath/openvpn/host-checks.js';
import { checkDeviceKeys } from './device-keys.js';
import type { EngineContext } from './engine-context.js';
import { resolveWithTimeout } from './resolve.js';

type DiagnosticsResponse = import('typebox').Static<typeof DiagnosticsResponseSchema>;

/** Where the facts come from; tests inject each one. Defaults: the real machine. */
export interface DiagnosticsProbes {
  /** Tunnel links and catch-all routes (default: `ip` on Linux, interface names elsewhere). */
  readonly tunnels?: () => Promise<ActiveTunnels>;
  readonly tun?: () => Promise<TunFacts>;
  readonly dns?: () => Promise<DnsFacts>;
  /** The kill switch's table is in the kernel (default: the network guard asks nft). */
  readonly killSwitchInstalled?: () => Promise<boolean>;
  /** The resolvers in use by the session DNS's method (default: the network guard's DNS driver). */
  readonly dnsInUse?: () => Promise<string[]>;
  readonly now?: () => number;
  /** Bound on the gateway name lookup (default 3 s). */
  readonly resolveTimeoutMs?: number;
}

export interface DiagnosticsInput {
  readonly includeAddresses: boolean;
  /** The gateway of the current or last session (its name comes only in a sealed bootstrap). */
  readonly gatewayFqdn: string | null;
  readonly daemonVersion: string;
}

export async function diagnostics(
  e: EngineContext,
  probes: DiagnosticsProbes,
  input: DiagnosticsInput,
): Promise<DiagnosticsResponse> {
  const status = e.getStatus();
  const record = e.currentRecord();
  const enrolled = record !== null;
  const host = record ? new URL(record.backend_url).host : null;
  const tunnelUp = status.state === 'connected';
  const store = e.keyStore();
  const guard = e.network();
  const net = guard.network();

  const [health, keys, tunnels, tun, dns, gateway, installed, dnsInUse] = await Promise.all([
    record && record.status !== 'revoked' ? settle(() => e.backend(record).health()) : null,
    record ? settle(() => checkDeviceKeys(store)) : null,
    tunnelFacts(probes, tunnelUp),
    (probes.tun ?? (() => tunFacts()))(),
    (probes.dns ?? (() => dnsFacts()))(),
    gatewayFacts(e, input.gatewayFqdn, probes.resolveTimeoutMs ?? 3000),
    net.kill_switch.available
      ? (probes.killSwitchInstalled ?? (() => guard.switchInstalled()))().catch(() => null)
      : null,
    net.dns ? (probes.dnsInUse ?? (() => guard.serversInUse()))().catch(() => null) : null,
  ]);
  // Read again: a fact gathered across a change (a session ended, the switch moved) is not used.
  const after = guard.network();
  const sameDns = after.dns !== null && JSON.stringify(after.dns) === JSON.stringify(net.dns);

  const now = (probes.now ?? Date.now)();
  const checks: DiagnosticCheck[] = [
    enrollmentCheck({ device: record, backendHost: host }),
    deviceKeyCheck({
      enrolled,
      store: store.name,
      protection: store.protection,
      keys: keys === null || keys.ok ? { ok: true } : { ok: false, code: keys.code, detail: keys.detail },
    }),
    backendCheck(
      !health || !host
        ? { enrolled: false }
        : health.ok
          ? {
              enrolled: true,
              host,
              ok: true,
              rttMs: health.value.elapsedMs,
              version: health.value.value.version,
            }
          : { enrolled: true, host, ok: false, code: health.code },
    ),
    clockCheck({
      enrolled: health !== null,
      skewMs: health?.ok && health.value.serverDateMs !== null ? now - health.value.serverDateMs : null,
    }),
    gateway,
    tunDeviceCheck(tun),
    otherVpnCheck(tunnels),
    staleRoutesCheck(tunnels),
    dnsConfigCheck(dns, after.dns && sameDns ? { applied: after.dns, inUse: dnsInUse } : null),
    killSwitchCheck(
      after.kill_switch,
      after.kill_switch.active === net.kill_switch.active ? installed : null,
    ),
    lastErrorCheck({ state: status.state, lastError: status.last_error }),
  ];
  if (checks.map((c) => c.id).join() !== DAEMON_DIAGNOSTIC_IDS.join()) {
    throw new Error('diagnostics: checks out of step with DAEMON_DIAGNOSTIC_IDS');
  }
  const redact = createRedactor({ includeAddresses: input.includeAddresses });
  return {
    v: LOCAL_API_VERSION,
    daemon_version: input.daemonVersion,
    state: status.state,
    addresses: input.includeAddresses ? 'included' : 'redacted',
    checks: redactChecks(checks, redact),
  };
}

type Settled<T> = { ok: true; value: T } | { ok: false; code: string; detail: string };

async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return isViworksError(err)
      ? { ok: false, code: err.code, detail: err.details[0] ?? err.message }
      : { ok: false, code: 'VIW_E_INTERNAL', detail: 'check failed' };
  }
}

async function tunnelFacts(probes: DiagnosticsProbes, tunnelUp: boolean): Promise<TunnelFacts> {
  if (probes.tunnels || process.platform === 'linux') {
    try {
      const t = await (probes.tunnels ?? (() => activeTunnels()))();
      return { interfaces: t.interfaces, routes: t.routes, tunnelUp, source: 'ip' };
    } catch {
      // `ip` missing or refused: fall back to the names any user can list.
    }
  }
  try {
    return await sysfsTunnels(undefined, tunnelUp);
  } catch {
    return { interfaces: [], routes: [], tunnelUp, source: 'sysfs' };
  }
}

async function gatewayFacts(e: EngineContext, fqdn: string | null, timeoutMs: number) {
  if (fqdn === null) return gatewayDnsCheck({ fqdn: null });
  const started = performance.now();
  try {
    const addresses = await resolveWithTimeout(e.components().resolveAll, fqdn, 'gateway_dns', timeoutMs);
    return gatewayDnsCheck({ fqdn, addresses, ms: performance.now() - started });
  } catch (err) {
    const detail = isViworksError(err) ? (err.details[0] ?? err.message) : 'does not resolve';
    return gatewayDnsCheck({ fqdn, error: detail.replace(/^gateway_dns: /, '') });
  }
}
