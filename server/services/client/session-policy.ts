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
  readonly dnsPush: readonly string[];
  readonly redirectGateway: boolean;
  readonly blockOutsideDns: boolean;
}

export const DEFAULT_POLICY_ID = 'p-default';

export function effectivePolicy(
  config: Pick<ServerConfig, 'sessionLifetimeS' | 'idleTimeoutS'>,
): SessionPolicy {
  return {
    id: DEFAULT_POLICY_ID,
    sessionLifetimeS: config.sessionLifetimeS,
    idleTimeoutS: config.idleTimeoutS,
    heartbeatS: Math.max(5, Math.min(60, Math.floor(config.idleTimeoutS / 3))),
    allowedTimezones: [],
    dnsPush: [],
    redirectGateway: true,
    blockOutsideDns: true,
  };
}
