// The system preflight (docs/architecture.md#desktop-preflight): checks of this machine and its
// backend before a connect (and for GET /v1/preflight), each a named result with a stable code on failure:
//   backend       the enrolled backend answers over the pinned channel within MAX_BACKEND_RTT_MS
//                 (round trip shown; unreachable: VIW_E_BACKEND_UNREACHABLE, too slow:
//                 VIW_E_PREFLIGHT "backend: round trip … over the … limit")
//   clock         this clock is within 60 s of the backend's Date header (VIW_E_CLOCK_SKEW):
//                 fwknopd drops SPA packets older than 120 s, so 60 s leaves the knock its margin
//   no_other_vpn  no tunnel interface (tun/tap/wg/ppp…) and no catch-all route through one, left
//                 by another VPN or an earlier session (VIW_E_PREFLIGHT)
//   timezone      the OS time zone is one the bootstrap policy allows (checked at connect)
// At connect, connect.ts adds gateway_dns (the bootstrap's FQDN resolves, bounded by a timeout)
// and backend_route (the backend's addresses for the bypass routes); the OpenVPN starter adds
// openvpn (present, safe to run, ≥ 2.6) and tun_device.
import { readdir } from 'node:fs/promises';
import { MAX_BACKEND_RTT_MS, MAX_CLOCK_SKEW_MS, TUNNEL_NAME_RE } from '../../core/diagnostics/checks.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { type ActiveTunnels, activeTunnels } from '../datapath/openvpn/host-checks.js';
import type { Preflight, PreflightCheck, PreflightContext } from './types.js';

/**
 * The limits, shared with `viworks doctor` (core/diagnostics/checks.ts). Round trip: the
 * specification's target is p50 ≤ 200 ms (docs/architecture.md#desktop-preflight); 2 s is where the
 * connect sequence's timeouts start to bite, so a slower backend fails closed rather than
 * half-connecting.
 */
export { MAX_BACKEND_RTT_MS, MAX_CLOCK_SKEW_MS };

export interface SystemPreflightOptions {
  readonly extra?: ReadonlyArray<() => Promise<PreflightCheck[]>>;
  /** Where network interfaces are listed (names only; tests). Default: `ip` links and routes. */
  readonly netDir?: string;
  /** Tunnel links and catch-all routes through them; default activeTunnels (datapath/openvpn/host-checks.ts). */
  readonly tunnels?: () => Promise<ActiveTunnels>;
  readonly timeZone?: () => string;
  readonly now?: () => number;
}

export class SystemPreflight implements Preflight {
  constructor(private readonly o: SystemPreflightOptions = {}) {}

  async run(ctx: PreflightContext): Promise<PreflightCheck[]> {
    const checks = [...(await this.backendAndClock(ctx)), await this.vpnInterfaces(ctx), this.timezone(ctx)];
    for (const extra of this.o.extra ?? []) {
      try {
        checks.push(...(await extra()));
      } catch (err) {
        checks.push(
          fail('extra', err instanceof ViworksError ? err.code : 'VIW_E_PREFLIGHT', 'check failed'),
        );
      }
    }
    return checks.slice(0, 32);
  }

  private async backendAndClock(ctx: PreflightContext): Promise<PreflightCheck[]> {
    if (!ctx.health) {
      return [
        fail('backend', 'VIW_E_DEVICE_UNKNOWN', 'not enrolled: no backend to check'),
        fail('clock', 'VIW_E_DEVICE_UNKNOWN', 'not enrolled: no server time to compare with'),
      ];
    }
    try {
      const h = await ctx.health();
      const rtt = Math.round(h.elapsedMs);
      const backend =
        rtt <= MAX_BACKEND_RTT_MS
          ? ok('backend', `reachable, round trip ${rtt} ms`)
          : fail(
              'backend',
              'VIW_E_PREFLIGHT',
              `round trip ${rtt} ms over the ${MAX_BACKEND_RTT_MS} ms limit`,
            );
      if (h.serverDateMs === null) return [backend, fail('clock', 'VIW_E_CLOCK_SKEW', 'no server time')];
      // The Date header has whole seconds: allow one more second than the limit.
      const skew = (this.o.now ?? Date.now)() - h.serverDateMs;
      const seconds = Math.round(skew / 1000);
      const clock =
        Math.abs(skew) <= MAX_CLOCK_SKEW_MS + 1000
          ? ok('clock', `within ${Math.abs(seconds)} s of the backend`)
          : fail('clock', 'VIW_E_CLOCK_SKEW', `off by ${seconds} s (limit 60 s)`);
      return [backend, clock];
    } catch (err) {
      const code = err instanceof ViworksError ? err.code : 'VIW_E_BACKEND_UNREACHABLE';
      return [fail('backend', code, 'not reachable'), fail('clock', code, 'no server time')];
    }
  }

  private async vpnInterfaces(ctx: PreflightContext): Promise<PreflightCheck> {
    if (ctx.tunnelUp) return ok('no_other_vpn', 'skipped: this tunnel is up');
    let t: ActiveTunnels;
    try {
      t = await this.listTunnels();
    } catch {
      return ok('no_other_vpn', 'interface list unavailable on this platform');
    }
    if (t.interfaces.length === 0 && t.routes.length === 0)
      return ok('no_other_vpn', 'no tunnel interface or route');
    const found = [
      ...t.interfaces.slice(0, 4).map((i) => `interface ${i.name}`),
      ...t.routes.slice(0, 2).map((r) => `route ${r.dst} via ${r.dev}`),
    ];
    return fail('no_other_vpn', 'VIW_E_PREFLIGHT', `tunnel present: ${found.join(', ')}`);
  }

  private async listTunnels(): Promise<ActiveTunnels> {
    if (this.o.tunnels) return this.o.tunnels();
    if (this.o.netDir === undefined && process.platform === 'linux') return activeTunnels();
    const names = await readdir(this.o.netDir ?? '/sys/class/net');
    return {
      interfaces: names.filter((n) => TUNNEL_NAME_RE.test(n)).map((name) => ({ name, kind: 'unknown' })),
      routes: [],
    };
  }

  private timezone(ctx: PreflightContext): PreflightCheck {
    // The zone is read only when the policy restricts it: ICU's zone detection maps ~6 MiB of the
    // node binary's data into the daemon for good (issue #19), for a check most policies skip.
    if (!ctx.payload) return ok('timezone', 'checked against the policy at connect');
    const allowed = ctx.payload.policy.allowed_timezones;
    if (allowed.length === 0) return ok('timezone', 'any time zone (the policy names none)');
    const zone = (this.o.timeZone ?? (() => Intl.DateTimeFormat().resolvedOptions().timeZone))();
    if (allowed.includes(zone)) return ok('timezone', `${zone} allowed`);
    return fail('timezone', 'VIW_E_PREFLIGHT', `${zone} not allowed by policy`);
  }
}

export function ok(name: string, detail: string): PreflightCheck {
  return { name, ok: true, code: null, detail: detail.slice(0, 256) };
}

export function fail(name: string, code: string, detail: string): PreflightCheck {
  return { name, ok: false, code, detail: detail.slice(0, 256) };
}

/** The error for a failed preflight: the first failing check's code, all failing names as details. */
export function preflightError(checks: readonly PreflightCheck[]): ViworksError | null {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return null;
  const code = failed[0]?.code;
  const details = failed.map((c) => `${c.name}: ${c.detail}`);
  return code === 'VIW_E_CLOCK_SKEW' || code === 'VIW_E_BACKEND_UNREACHABLE'
    ? new ViworksError(code, { details })
    : new ViworksError('VIW_E_PREFLIGHT', { details });
}
