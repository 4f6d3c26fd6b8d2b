// Test fixtures for the policy admin API (route and CLI tests): documents that are valid, and
// narrower than the built-in default (a full tunnel reaching only the given networks).
import type { PolicyDocument } from '../../../core/api/policy.js';

/** A full tunnel reaching only `routes`; `over` replaces whole top-level sections. */
export function policyDoc(routes: string[], over: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    tunnel: { mode: 'full', routes },
    dns: { servers: ['10.10.0.53'], search_domains: ['corp.example'] },
    session: { lifetime_s: 3600, idle_timeout_s: 600 },
    gateways: ['*'],
    kill_switch: 'required',
    schedule: null,
    client_time_zones: [],
    geo: { allow_countries: [], deny_countries: ['KP'], allow_asns: [], deny_asns: [], allow_unknown: true },
    posture: {
      min_key_protection: 'software',
      require_phone_attestation: false,
      require_hardening: false,
      min_client_version: null,
    },
    ...over,
  };
}
