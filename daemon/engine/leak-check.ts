// The continuous leak checks of a connected session (issue #12): right after every tunnel comes up
// and every interval_s after, the daemon asks the machine four questions, and any wrong answer ends
// the session (fail closed: the kill switch stays; connect.ts reports the event):
//   resolver_changed              the resolvers in use are exactly the pushed ones (something —
//                                 NetworkManager, a DHCP renewal, a user — did not swap them)
//   dns_route_outside_tunnel      each of those resolvers is reached through the tunnel: the kernel
//                                 would send a query to it from the tunnel's address
//   traffic_route_outside_tunnel  full tunnel: an address outside every pushed route (the probe
//                                 addresses) is reached through the tunnel too
//   kill_switch_missing           the kill switch's table is still in the kernel when it should be
// "Would send from" is the kernel's own routing decision, read without sending anything: a UDP
// socket connected to the address reports the source address the route gives it
// (datapath/source-address.ts, also how the SPA knock names its access address). So the checks see
// an injected route or a changed resolver, whatever made it, and send no packet that could itself
// leak or identify the user.
import type { LeakReason, NetworkProtection } from '../../core/api/local.js';

export interface LeakProbes {
  /** The resolvers the system uses now (the DNS method's view). */
  serversInUse(): Promise<string[]>;
  /** The local address the kernel would send from to reach `ip`; null: no route at all. */
  sourceAddress(ip: string): Promise<string | null>;
  /** Whether the kill switch's table is in the kernel. */
  killSwitchInstalled(): Promise<boolean>;
}

export interface LeakExpectations {
  /** The pushed resolvers (empty: none pushed, the resolver checks are skipped). */
  readonly pushedDns: readonly string[];
  /** The tunnel's address; null: unknown (the route checks are skipped). */
  readonly virtualIp: string | null;
  readonly fullTunnel: boolean;
  /** Addresses outside every pushed route; the gateway's and backend's bypass routes excluded. */
  readonly probeAddresses: readonly string[];
  readonly killSwitch: boolean;
}

export interface LeakFinding {
  readonly reason: LeakReason;
  /** Short and free of secrets: which address or how many (bounded by the event contract). */
  readonly detail: string;
}

/**
 * One public address in each half of the IPv4 space (a full tunnel's two /1 routes): nothing is
 * ever sent to them (see above), so well-known ones are fine.
 */
export const DEFAULT_PROBE_ADDRESSES = ['1.1.1.1', '192.0.2.1'] as const;

const loopback = (a: string) => /^127\./.test(a) || a === '::1';

/** One round of the checks; the first finding, or null when nothing leaks. */
export async function findLeak(x: LeakExpectations, probes: LeakProbes): Promise<LeakFinding | null> {
  if (x.pushedDns.length > 0) {
    const inUse = await probes.serversInUse();
    const foreign = inUse.filter((a) => !x.pushedDns.includes(a));
    if (foreign.length > 0 || inUse.length === 0) {
      return {
        reason: 'resolver_changed',
        detail: `${foreign.length} resolver(s) in use that were not pushed`,
      };
    }
    if (x.virtualIp) {
      for (const server of inUse.filter((a) => !loopback(a))) {
        const from = await probes.sourceAddress(server);
        if (from !== null && from !== x.virtualIp) {
          return {
            reason: 'dns_route_outside_tunnel',
            detail: `resolver ${server} routed outside the tunnel`,
          };
        }
      }
    }
  }
  if (x.fullTunnel && x.virtualIp) {
    for (const probe of x.probeAddresses) {
      const from = await probes.sourceAddress(probe);
      if (from !== null && from !== x.virtualIp) {
        return { reason: 'traffic_route_outside_tunnel', detail: `${probe} routed outside the tunnel` };
      }
    }
  }
  if (x.killSwitch && !(await probes.killSwitchInstalled())) {
    return { reason: 'kill_switch_missing', detail: 'the inet viworks table was removed' };
  }
  return null;
}

export interface LeakMonitorOptions {
  readonly expectations: LeakExpectations;
  readonly probes: LeakProbes;
  readonly intervalS: number;
  /** The first finding (once; the monitor stops itself). */
  readonly onLeak: (f: LeakFinding) => void;
  /** After each round: the Status's leak_check part. */
  readonly onCheck: (info: NonNullable<NetworkProtection['leak_check']>) => void;
  readonly onError?: (err: unknown) => void;
}

/** Runs the checks at once and then every intervalS until stopped or a leak is found. */
export class LeakMonitor {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private checks = 0;

  constructor(private readonly o: LeakMonitorOptions) {}

  /** The first round, awaited: connect reports `connected` only after it passed. */
  async start(): Promise<LeakFinding | null> {
    const first = await this.round();
    if (!first && !this.stopped) this.schedule();
    return first;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.round().then((f) => {
        if (f) this.o.onLeak(f);
        else if (!this.stopped) this.schedule();
      });
    }, this.o.intervalS * 1000);
    this.timer.unref();
  }

  private async round(): Promise<LeakFinding | null> {
    if (this.stopped) return null;
    let finding: LeakFinding | null = null;
    try {
      finding = await findLeak(this.o.expectations, this.o.probes);
    } catch (err) {
      // A probe that cannot run is not evidence of a leak; it is logged and retried next round.
      this.o.onError?.(err);
    }
    if (this.stopped) return null;
    this.checks++;
    this.o.onCheck({
      interval_s: this.o.intervalS,
      checks: this.checks,
      last_at: new Date().toISOString(),
      leak: finding?.reason ?? null,
    });
    if (finding) this.stop();
    return finding;
  }
}
