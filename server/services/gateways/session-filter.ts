// The backend's side of session_filter (core/gateway/control.ts, architecture §6.3), pure: the
// request that puts one session's policy networks on its gateway (sent by GatewayControl at
// bootstrap, prepareSession, and when the session watcher re-tags a live session,
// applySessionPolicy), and the reading of a node's health that says whether the policy versions
// the sessions should have are in effect there (gatewayHealth's policy_in_effect, shown by
// `viworks admin gateways health`). The node checks the document again and refuses it whole (host
// bits, overlaps, /0, more than 64 networks); the policy checker refuses those before a policy is
// saved, so a refusal here is a bug, reported as our own internal error before anything is sent.
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import {
  type HealthResult,
  type SessionFilterInput,
  sessionFilterInput,
} from '../../../core/gateway/control.js';
import type { ControlRequest } from './request.js';

export interface SessionFilterSpec {
  /** The session's row id (UUID). */
  readonly sessionId: string;
  /** The policy's wire id as the session records it (`p-…`, `p-default`). */
  readonly policyId: string;
  readonly policyVersion: number;
  /** The networks the policy lets this session reach through the gateway, or anywhere. */
  readonly networks: readonly string[] | 'unrestricted';
  readonly expiresAt: Date;
}

const ipv4Key = (cidr: string): number => {
  const [ip = '', prefix = '0'] = cidr.split('/');
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) * 64 + Number(prefix);
};

/** The session_filter request for one session; the same spec always gives the same document. */
export function sessionFilterRequest(spec: SessionFilterSpec): ControlRequest {
  const networks =
    spec.networks === 'unrestricted'
      ? 'unrestricted'
      : [...new Set(spec.networks)].sort((a, b) => ipv4Key(a) - ipv4Key(b));
  const stdin: SessionFilterInput = {
    policy: { policy_id: spec.policyId, version: spec.policyVersion },
    networks,
    expires_at: Math.floor(spec.expiresAt.getTime() / 1000),
  };
  return {
    verb: 'session_filter',
    args: [toWireId('s', spec.sessionId)],
    stdin: sessionFilterInput.parse(stdin, 'VIW_E_INTERNAL'),
  };
}

/** The policy version one session should have on the gateway. */
export interface ExpectedSessionPolicy {
  readonly sessionId: string;
  readonly policyId: string;
  readonly policyVersion: number;
}

export interface PolicyInEffect {
  /** Every expected session carries its expected tag, and the node's table is in the kernel. */
  readonly inEffect: boolean;
  readonly tableLoaded: boolean;
  /** Session ids (UUIDs) whose tag on the node is another one, none, or which the node lacks. */
  readonly behind: readonly string[];
}

/**
 * Compares a node's health with what its sessions should have. Null when the node does not report
 * forwarding (a node older than session_filter): nothing can be said.
 */
export function policyInEffect(
  health: HealthResult,
  expected: readonly ExpectedSessionPolicy[],
): PolicyInEffect | null {
  const fwd = health.forwarding;
  if (!fwd) return null;
  const onNode = new Map(fwd.sessions.map((s) => [s.session, s.policy]));
  const behind = expected
    .filter((e) => {
      const tag = onNode.get(toWireId('s', e.sessionId));
      return !tag || tag.policy_id !== e.policyId || tag.version !== e.policyVersion;
    })
    .map((e) => e.sessionId);
  return { inEffect: fwd.table_loaded && behind.length === 0, tableLoaded: fwd.table_loaded, behind };
}
