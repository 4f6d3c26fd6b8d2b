// The session policy the bootstrap carries and the session engine enforces. Today it comes from the
// server configuration (one policy for everyone, id `p-default`); the policy service (admin issue)
// replaces effectivePolicy() with a per-user/group lookup of Policy rows without changing callers.
import type { ServerConfig } from '../../config.js';

export interface SessionPolicy {
  /** Wire id `p-…` (payload pattern). */
  readonly id: string;
  readonly sessionLifetimeS: number;
  readonly idleTimeoutS: number;
  /** How often the client calls POST /client/heartbeat: well inside the idle timeout. */
  readonly heartbeatS: number;
  readonly allowedTimezones: readonly string[];
  /** The tunnel's resolvers and search domains (config `dns`), applied by the client while connected. */
  readonly dnsPush: readonly string[];
  readonly dnsSearch: readonly string[];
  /** `required`: clients refuse to connect with their kill switch off (config `requireKillSwitch`). */
  readonly killSwitch: 'optional' | 'required';
  readonly redirectGateway: boolean;
  readonly blockOutsideDns: boolean;
}

export const DEFAULT_POLICY_ID = 'p-default';

export function effectivePolicy(
  config: Pick<ServerConfig, 'sessionLifetimeS' | 'idleTimeoutS' | 'dns' | 'requireKillSwitch'>,
): SessionPolicy {
  return {
    id: DEFAULT_POLICY_ID,
    sessionLifetimeS: config.sessionLifetimeS,
    idleTimeoutS: config.idleTimeoutS,
    heartbeatS: Math.max(5, Math.min(60, Math.floor(config.idleTimeoutS / 3))),
    allowedTimezones: [],
    dnsPush: [...config.dns.servers],
    dnsSearch: [...config.dns.searchDomains],
    killSwitch: config.requireKillSwitch ? 'required' : 'optional',
    redirectGateway: true,
    blockOutsideDns: true,
  };
}
