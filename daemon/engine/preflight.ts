// Preflight checks (desktop-client §4), each a named result with a stable code on failure:
//   backend       the enrolled backend answers over the pinned channel (round-trip time shown)
//   clock         this clock is within 60 s of the backend's Date header
//   no_other_vpn  no foreign tunnel interface (tun/tap/wg/ppp…) is up
//   timezone      the OS time zone is one the bootstrap policy allows (checked at connect)
// plus whatever the TLS proxy and OpenVPN runner add (gateway DNS, binary present, /dev/net/tun).
import { readdir } from 'node:fs/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { Preflight, PreflightCheck, PreflightContext } from './types.js';

export const MAX_CLOCK_SKEW_MS = 60_000;
const VPN_IFACE_RE = /^(tun|tap|wg|utun|ppp|ipsec|tailscale|zt)/;

export interface SystemPreflightOptions {
  readonly extra?: ReadonlyArray<() => Promise<PreflightCheck[]>>;
  /** Where network interfaces are listed (Linux). */
  readonly netDir?: string;
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
      const backend = ok('backend', `reachable, round trip ${Math.round(h.elapsedMs)} ms`);
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
    let names: string[];
    try {
      names = await readdir(this.o.netDir ?? '/sys/class/net');
    } catch {
      return ok('no_other_vpn', 'interface list unavailable on this platform');
    }
    const vpn = names.filter((n) => VPN_IFACE_RE.test(n));
    return vpn.length === 0
      ? ok('no_other_vpn', 'no tunnel interface')
      : fail('no_other_vpn', 'VIW_E_PREFLIGHT', `tunnel interface present: ${vpn.slice(0, 4).join(', ')}`);
  }

  private timezone(ctx: PreflightContext): PreflightCheck {
    const zone = (this.o.timeZone ?? (() => Intl.DateTimeFormat().resolvedOptions().timeZone))();
    if (!ctx.payload) return ok('timezone', `${zone}; policy checked at connect`);
    const allowed = ctx.payload.policy.allowed_timezones;
    if (allowed.length === 0 || allowed.includes(zone)) return ok('timezone', `${zone} allowed`);
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
