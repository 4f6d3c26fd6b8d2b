// Bootstrap payload v1 (docs/architecture.md#bootstrap-payload-v1, with our additions): what the
// backend seals to one device after the OTP. Every object is closed; values are bounded; ciphers come from
// an allowlist. A payload that fails any check is refused as a whole (VIW_E_BOOTSTRAP_INVALID),
// and an expired one with VIW_E_BOOTSTRAP_EXPIRED.
import { type Static, Type } from 'typebox';
import { DOMAIN_NAME_PATTERN, PinSetSchema } from '../api/common.js';
import { assertPinSet } from '../crypto/pins.js';
import { ViworksError } from '../errors/viworks-error.js';
import { BROWSER_TARGET_NAME, BROWSER_VIEWER_URL, MAX_BROWSER_TARGETS } from '../gateway/browser.js';
import { closed, strictValidator } from '../schema/strict.js';

// Where it has always been imported from; defined with the other building blocks (browser-safe).
export { DOMAIN_NAME_PATTERN };

/** The longest a bootstrap may live (docs/architecture.md#bootstrap-payload-v1: ≤ 10 min). */
export const BOOTSTRAP_MAX_LIFETIME_S = 600;
/** fwknopd must close the door again quickly (docs/architecture.md#spa-door-open-at-most-20-s). */
export const SPA_MAX_TTL_S = 20;

export const OVPN_DATA_CIPHERS = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'] as const;
export const OVPN_AUTH_DIGESTS = ['SHA256', 'SHA384', 'SHA512'] as const;

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}-[A-Za-z0-9_-]{4,64}$` });
const Fqdn = Type.String({
  maxLength: 253,
  // Labels of letters, digits and inner hyphens; the last label must not be numeric, so an IP
  // literal is never accepted where a stable FQDN is wanted (docs/architecture.md#bootstrap-payload-v1).
  pattern: '^(?=.{1,253}$)(?!.*\\.[0-9]+$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$',
});
const Ipv4 = Type.String({
  pattern: '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$',
});
/** A DNS search domain: letters, digits and inner hyphens per label, an optional final dot. */
const DomainName = Type.String({ maxLength: 254, pattern: DOMAIN_NAME_PATTERN });
const Rfc3339Utc = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$' });
const Base64 = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
const Pem = (label: string, maxLength: number) =>
  Type.String({
    maxLength,
    pattern: `^-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n?$`,
  });
const CertChainPem = Type.String({
  maxLength: 32768,
  pattern: '^(-----BEGIN CERTIFICATE-----\\n[A-Za-z0-9+/=\\n]+-----END CERTIFICATE-----\\n?)+$',
});
const TlsCryptKey = Type.String({
  maxLength: 2048,
  pattern:
    '^(#[^\\n]*\\n)*-----BEGIN OpenVPN Static key V1-----\\n([0-9a-f]{32}\\n){16}-----END OpenVPN Static key V1-----\\n?$',
});

export const BootstrapPayloadSchema = Type.Object(
  {
    ver: Type.Literal(1),
    iat: Rfc3339Utc,
    exp: Rfc3339Utc,
    user: Id('u'),
    session_id: Id('s'),
    device_id: Id('d'),
    gw_fqdn: Fqdn,
    gw_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    spki_pins: Type.Object({ backend: PinSetSchema, gateway: PinSetSchema }, closed),
    spa: Type.Object(
      {
        proto: Type.Literal('udp'),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        username: Type.String({ minLength: 1, maxLength: 63, pattern: '^[^"/\\\\\\[\\]:;|=,+*?<>\\s]+$' }),
        // KEY_BASE64 (AES key, 32 bytes) and HMAC_KEY_BASE64 (HMAC-SHA256 key, 32–136 bytes).
        enc_key: Base64(44, 44),
        hmac_key: Base64(44, 184),
        ttl_s: Type.Integer({ minimum: 1, maximum: SPA_MAX_TTL_S }),
      },
      closed,
    ),
    ovpn: Type.Object(
      {
        proto: Type.Literal('tcp-client'),
        cipher: Type.Enum(OVPN_DATA_CIPHERS),
        data_ciphers: Type.Array(Type.Enum(OVPN_DATA_CIPHERS), {
          minItems: 1,
          maxItems: OVPN_DATA_CIPHERS.length,
          uniqueItems: true,
        }),
        auth: Type.Enum(OVPN_AUTH_DIGESTS),
        tls_crypt_key_inline: TlsCryptKey,
        ca_inline: CertChainPem,
        cert_inline: Pem('CERTIFICATE', 8192),
        key_inline: Pem('PRIVATE KEY', 8192),
        /** The resolvers the client uses while connected (the system's own resolver config is restored after). */
        dns_push: Type.Array(Ipv4, { maxItems: 3 }),
        /** Search domains applied with dns_push (labels only: no spaces, options or control characters). */
        dns_search: Type.Array(DomainName, { maxItems: 6 }),
        redirect_gateway: Type.Boolean(),
        block_outside_dns: Type.Boolean(),
      },
      closed,
    ),
    policy: Type.Object(
      {
        id: Id('p'),
        idle_timeout_s: Type.Integer({ minimum: 60, maximum: 86400 }),
        heartbeat_s: Type.Integer({ minimum: 5, maximum: 300 }),
        /** `required`: the client refuses to connect with its kill switch off (docs/cli.md#kill-switch). */
        kill_switch: Type.Enum(['optional', 'required']),
        /** IANA zones the OS time zone must be in; empty = any (docs/architecture.md#desktop-preflight). */
        allowed_timezones: Type.Array(
          Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+/-]+$' }),
          {
            maxItems: 32,
          },
        ),
      },
      closed,
    ),
    /**
     * The session's isolated browser on the gateway (issue #18), present only when its policy grants
     * browser targets: `url` is the viewer on the gateway's tunnel side, reachable from this
     * session's VPN address only; its random path is a capability (held in memory, never logged).
     */
    browser: Type.Optional(
      Type.Object(
        {
          url: Type.String({ maxLength: 128, pattern: BROWSER_VIEWER_URL }),
          targets: Type.Array(Type.String({ pattern: BROWSER_TARGET_NAME }), {
            minItems: 1,
            maxItems: MAX_BROWSER_TARGETS,
          }),
        },
        closed,
      ),
    ),
  },
  closed,
);

export type BootstrapPayload = Static<typeof BootstrapPayloadSchema>;

const validator = strictValidator(BootstrapPayloadSchema);

/** Largest serialized payload accepted; the real one is a few KiB. */
export const BOOTSTRAP_MAX_BYTES = 64 * 1024;

/**
 * Checks a decoded payload: schema, pin sets, cipher consistency and the validity window.
 * `now` is injectable for tests. Returns the same object, typed.
 */
export function validateBootstrap(value: unknown, now: Date = new Date()): BootstrapPayload {
  const p = validator.parse(value, 'VIW_E_BOOTSTRAP_INVALID');
  const problems: string[] = [];
  for (const [label, pins] of Object.entries(p.spki_pins)) {
    try {
      assertPinSet(pins, `/spki_pins/${label}`);
    } catch (err) {
      problems.push(...(err instanceof ViworksError ? err.details : [`/spki_pins/${label}: invalid`]));
    }
  }
  if (!p.ovpn.data_ciphers.includes(p.ovpn.cipher)) problems.push('/ovpn/cipher: not in data_ciphers');
  if (Buffer.from(p.spa.enc_key, 'base64').length !== 32) problems.push('/spa/enc_key: must be 32 bytes');
  const hmacLen = Buffer.from(p.spa.hmac_key, 'base64').length;
  if (hmacLen < 32 || hmacLen > 136) problems.push('/spa/hmac_key: must be 32..136 bytes');
  const iat = Date.parse(p.iat);
  const exp = Date.parse(p.exp);
  if (Number.isNaN(iat) || Number.isNaN(exp)) problems.push('/exp: not a valid time');
  else if (exp <= iat || exp - iat > BOOTSTRAP_MAX_LIFETIME_S * 1000)
    problems.push('/exp: lifetime over 10 minutes');
  if (problems.length > 0) throw new ViworksError('VIW_E_BOOTSTRAP_INVALID', { details: problems });
  if (exp <= now.getTime()) throw new ViworksError('VIW_E_BOOTSTRAP_EXPIRED');
  // A payload issued "in the future" means one clock is badly off; refuse rather than guess.
  if (iat - now.getTime() > 60_000) throw new ViworksError('VIW_E_CLOCK_SKEW');
  return p;
}

/** Parses the opened plaintext (UTF-8 JSON) and validates it. Never echoes content in errors. */
export function parseBootstrap(plaintext: Uint8Array, now: Date = new Date()): BootstrapPayload {
  if (plaintext.byteLength > BOOTSTRAP_MAX_BYTES) {
    throw new ViworksError('VIW_E_BOOTSTRAP_INVALID', { details: ['payload too large'] });
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new ViworksError('VIW_E_BOOTSTRAP_INVALID', { details: ['not UTF-8 JSON'] });
  }
  return validateBootstrap(value, now);
}
