// The access policy (issue #14, docs/policies.md): what a policy document holds, and what an
// evaluation answers. A policy is named and versioned: every change is a new immutable version
// (PolicyVersion rows), assigned to users and groups with one precedence rule (docs/policies.md):
// a user's own assignment, else the assignment of the user's group with the lowest priority number,
// else the built-in default made from the server configuration (`p-default`, version 0).
//
// The schema here is the shape; checkPolicyDocument() adds what a schema cannot say (overlapping
// or host-bit CIDRs, unknown IANA zones, empty or inverted windows, a country both allowed and
// denied) and answers with field paths, never values.
import { type Static, Type } from 'typebox';
import { BrowserTarget, MAX_BROWSER_TARGETS } from '../gateway/browser.js';
import { closed, DOMAIN_NAME_PATTERN } from './common.js';
import { KEY_PROTECTIONS, type KeyProtection } from './device.js';

export const POLICY_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
export const PolicyName = Type.String({ minLength: 1, maxLength: 63, pattern: POLICY_NAME_PATTERN });
export const GroupName = Type.String({ minLength: 1, maxLength: 63, pattern: POLICY_NAME_PATTERN });

/** An IPv4 network in canonical form (no host bits: checkPolicyDocument refuses them). */
export const PolicyCidr = Type.String({
  maxLength: 18,
  pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/([0-9]|[12][0-9]|3[0-2])$',
});
const Ipv4 = Type.String({ maxLength: 15, pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' });
/** An IANA zone name as written in the tz database (checked against Intl's list). */
export const TimeZoneName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+/-]+$' });
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const CountryCode = Type.String({ pattern: '^[A-Z]{2}$' });
const Asn = Type.Integer({ minimum: 1, maximum: 4294967295 });
const GatewayNameRef = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const ClientVersion = Type.String({ maxLength: 32, pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' });

/**
 * Key protection, weakest first: `software` (an encrypted file), `hardware` (the OS keyring or a
 * platform store), `tpm2` (made inside a TPM 2.0, never exportable).
 */
export const KEY_PROTECTION_ORDER: readonly KeyProtection[] = ['software', 'hardware', 'tpm2'];
if (KEY_PROTECTION_ORDER.length !== KEY_PROTECTIONS.length) throw new Error('KEY_PROTECTION_ORDER is stale');

export const TimeWindowSchema = Type.Object(
  {
    /** The days the window STARTS on. */
    days: Type.Array(Type.Enum(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true }),
    /** Local time in the policy's zone; `to` ≤ `from` means the window runs past midnight. */
    from: ClockTime,
    to: ClockTime,
  },
  closed,
);

export const PolicyDocumentSchema = Type.Object(
  {
    tunnel: Type.Object(
      {
        /** `full`: all traffic through the tunnel. `split`: only `routes`. */
        mode: Type.Enum(['full', 'split']),
        /** The networks behind the gateway this policy reaches (split: at least one). */
        routes: Type.Array(PolicyCidr, { maxItems: 64 }),
      },
      closed,
    ),
    dns: Type.Object(
      {
        servers: Type.Array(Ipv4, { maxItems: 3 }),
        search_domains: Type.Array(Type.String({ maxLength: 254, pattern: DOMAIN_NAME_PATTERN }), {
          maxItems: 6,
        }),
      },
      closed,
    ),
    session: Type.Object(
      {
        lifetime_s: Type.Integer({ minimum: 300, maximum: 86400 }),
        idle_timeout_s: Type.Integer({ minimum: 60, maximum: 86400 }),
      },
      closed,
    ),
    /** Gateway names this policy may use; `["*"]` = any. */
    gateways: Type.Array(Type.Union([Type.Literal('*'), GatewayNameRef]), { minItems: 1, maxItems: 32 }),
    kill_switch: Type.Enum(['optional', 'required']),
    /** When access is allowed; null = always. */
    schedule: Type.Union([
      Type.Object(
        {
          time_zone: TimeZoneName,
          windows: Type.Array(TimeWindowSchema, { minItems: 1, maxItems: 14 }),
        },
        closed,
      ),
      Type.Null(),
    ]),
    /** The client's OS time zone must be one of these (desktop preflight); empty = any. */
    client_time_zones: Type.Array(TimeZoneName, { maxItems: 32, uniqueItems: true }),
    geo: Type.Object(
      {
        /** Empty = any country not denied. */
        allow_countries: Type.Array(CountryCode, { maxItems: 250, uniqueItems: true }),
        deny_countries: Type.Array(CountryCode, { maxItems: 250, uniqueItems: true }),
        allow_asns: Type.Array(Asn, { maxItems: 256, uniqueItems: true }),
        deny_asns: Type.Array(Asn, { maxItems: 256, uniqueItems: true }),
        /** A source with no country (no database entry, a private range not mapped): allowed? */
        allow_unknown: Type.Boolean(),
      },
      closed,
    ),
    posture: Type.Object(
      {
        min_key_protection: Type.Enum(KEY_PROTECTIONS),
        require_phone_attestation: Type.Boolean(),
        /** The daemon's process hardening (not dumpable, no core, no new privileges, no tracer). */
        require_hardening: Type.Boolean(),
        min_client_version: Type.Union([ClientVersion, Type.Null()]),
      },
      closed,
    ),
    /**
     * Web targets reached through an isolated browser on the gateway (issue #18, docs/gateways.md):
     * absent or no targets = none. Clipboard and file transfer stay off unless switched on here.
     */
    browser: Type.Optional(
      Type.Object(
        {
          targets: Type.Array(BrowserTarget, { maxItems: MAX_BROWSER_TARGETS }),
          clipboard: Type.Boolean(),
          file_transfer: Type.Boolean(),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;

/** Which rule of a policy decided (the audit event and `explain` name it). */
export const POLICY_RULES = [
  'schedule',
  'geo.country',
  'geo.asn',
  'geo.unknown',
  'posture.key_protection',
  'posture.phone_attestation',
  'posture.hardening',
  'posture.client_version',
  'gateways',
] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** The stable error code of each rule's denial (core/errors/catalogue.ts). */
export const POLICY_DENIAL_CODES = {
  schedule: 'VIW_E_POLICY_SCHEDULE',
  'geo.country': 'VIW_E_POLICY_LOCATION',
  'geo.asn': 'VIW_E_POLICY_LOCATION',
  'geo.unknown': 'VIW_E_POLICY_LOCATION',
  'posture.key_protection': 'VIW_E_POLICY_POSTURE',
  'posture.phone_attestation': 'VIW_E_POLICY_POSTURE',
  'posture.hardening': 'VIW_E_POLICY_POSTURE',
  'posture.client_version': 'VIW_E_POLICY_POSTURE',
  gateways: 'VIW_E_POLICY_GATEWAY',
} as const satisfies Record<PolicyRule, string>;

/** One rule's verdict in an evaluation (explain lists them all, in order). */
export const RuleVerdictSchema = Type.Object(
  {
    rule: Type.Enum(POLICY_RULES),
    allowed: Type.Boolean(),
    /** What was compared, for people: never a secret, an address only as the caller gave it. */
    detail: Type.String({ maxLength: 300 }),
  },
  closed,
);
export type RuleVerdict = Static<typeof RuleVerdictSchema>;

/** Where the applied policy came from. */
export const POLICY_SOURCES = ['user', 'group', 'default'] as const;

export const PolicyRefSchema = Type.Object(
  {
    /** Wire id `p-…` (the bootstrap's policy.id); `p-default` for the built-in default. */
    policy_id: Type.String({ maxLength: 40 }),
    name: Type.String({ maxLength: 63 }),
    version: Type.Integer({ minimum: 0 }),
    source: Type.Enum(POLICY_SOURCES),
    /** The group whose assignment applied (source `group`). */
    group: Type.Union([Type.String({ maxLength: 63 }), Type.Null()]),
  },
  closed,
);
export type PolicyRef = Static<typeof PolicyRefSchema>;
