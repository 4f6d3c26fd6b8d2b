// The session policy the bootstrap carries and the session engine enforces, made from the policy
// that applies to the user (server/services/policy/resolve.ts: user, group or the built-in default
// from the configuration) — or, for a live session, from the version it was allowed under.
import type { PolicyDocument } from '../../../core/api/policy.js';
import type { BrowserGrant } from '../gateways/browser-session.js';

export interface SessionPolicy {
  /** Wire id `p-…` (payload pattern); `p-default` for the built-in default. */
  readonly id: string;
  readonly version: number;
  readonly sessionLifetimeS: number;
  readonly idleTimeoutS: number;
  /** How often the client calls POST /client/heartbeat: well inside the idle timeout. */
  readonly heartbeatS: number;
  readonly allowedTimezones: readonly string[];
  /** The tunnel's resolvers and search domains, applied by the client while connected. */
  readonly dnsPush: readonly string[];
  readonly dnsSearch: readonly string[];
  /** `required`: clients refuse to connect with their kill switch off. */
  readonly killSwitch: 'optional' | 'required';
  /** Full tunnel: all traffic through it. Split: only `pushRoutes`. */
  readonly redirectGateway: boolean;
  readonly blockOutsideDns: boolean;
  /** The networks pushed to this session (its CCD): the policy's routes for a split tunnel. */
  readonly pushRoutes: readonly string[];
  /**
   * The networks the gateway forwards this session to (session_filter): the policy's routes, or
   * null for a full tunnel that names none — the gateway's own push_routes then.
   */
  readonly networks: readonly string[] | null;
  /** Web targets through an isolated browser on the gateway (issue #18); null: none granted. */
  readonly browser: BrowserGrant | null;
}

export function heartbeatFor(idleTimeoutS: number): number {
  return Math.max(5, Math.min(60, Math.floor(idleTimeoutS / 3)));
}

export function sessionPolicyOf(
  ref: { policy_id: string; version: number },
  doc: PolicyDocument,
): SessionPolicy {
  return {
    id: ref.policy_id,
    version: ref.version,
    sessionLifetimeS: doc.session.lifetime_s,
    idleTimeoutS: doc.session.idle_timeout_s,
    heartbeatS: heartbeatFor(doc.session.idle_timeout_s),
    allowedTimezones: [...doc.client_time_zones],
    dnsPush: [...doc.dns.servers],
    dnsSearch: [...doc.dns.search_domains],
    killSwitch: doc.kill_switch,
    redirectGateway: doc.tunnel.mode === 'full',
    blockOutsideDns: true,
    pushRoutes: doc.tunnel.mode === 'split' ? [...doc.tunnel.routes] : [],
    networks: doc.tunnel.routes.length > 0 ? [...doc.tunnel.routes] : null,
    browser:
      doc.browser && doc.browser.targets.length > 0
        ? {
            targets: doc.browser.targets.map((t) => ({ ...t })),
            clipboard: doc.browser.clipboard,
            fileTransfer: doc.browser.file_transfer,
          }
        : null,
  };
}
