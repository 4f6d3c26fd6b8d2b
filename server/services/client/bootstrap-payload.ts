// Builds, checks and seals the bootstrap payload v1 (core/bootstrap/payload.ts). Pure apart from
// the HPKE seal: everything it needs is passed in. The payload object lives only inside
// sealBootstrap(); its UTF-8 bytes are wiped as soon as they are sealed. (JavaScript strings cannot
// be wiped; they hold the same secrets only until the next garbage collection and are never logged.)
import {
  BOOTSTRAP_MAX_LIFETIME_S,
  type BootstrapPayload,
  SPA_MAX_TTL_S,
  validateBootstrap,
} from '../../../core/bootstrap/payload.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { wipe } from '../../../core/crypto/bytes.js';
import { sealEnvelope } from '../../../core/crypto/envelope.js';
import type { Envelope, EnvelopeSuite } from '../../../core/crypto/envelope-format.js';
import type { PinSet } from '../../../core/crypto/pins.js';
import type { GatewayMaterial } from '../../pki/gateway-profile.js';
import { type SpaKeys, spaUsername } from '../device/spa-keys.js';
import type { BrowserViewer } from '../gateways/browser-session.js';
import { pkcs8Pem, type SessionCertificate } from './certs.js';
import type { SessionPolicy } from './session-policy.js';

/** A bootstrap must be opened within 5 minutes (≤ 10 min, leaving room for client clock skew). */
export const BOOTSTRAP_TTL_S = Math.min(300, BOOTSTRAP_MAX_LIFETIME_S);

export interface PayloadInput {
  readonly iat: Date;
  readonly exp: Date;
  /** The audit pseudonym `u-` + 24 hex. */
  readonly userPseudonym: string;
  readonly sessionId: string;
  readonly deviceId: string;
  readonly gateway: GatewayMaterial;
  readonly backendPins: PinSet;
  readonly spa: SpaKeys;
  readonly cert: SessionCertificate;
  readonly policy: SessionPolicy;
  /** The session's isolated browser (its gateway spawned it); null: none. */
  readonly browser: BrowserViewer | null;
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function buildBootstrapPayload(i: PayloadInput): BootstrapPayload {
  return {
    ver: 1,
    iat: seconds(i.iat),
    exp: seconds(i.exp),
    user: i.userPseudonym,
    session_id: toWireId('s', i.sessionId),
    device_id: toWireId('d', i.deviceId),
    gw_fqdn: i.gateway.fqdn,
    gw_port: i.gateway.tlsPort,
    spki_pins: { backend: i.backendPins, gateway: i.gateway.pins },
    spa: {
      proto: 'udp',
      port: i.gateway.spaPort,
      username: spaUsername(i.deviceId),
      enc_key: i.spa.encKey.toString('base64'),
      hmac_key: i.spa.hmacKey.toString('base64'),
      ttl_s: SPA_MAX_TTL_S,
    },
    ovpn: {
      proto: 'tcp-client',
      cipher: 'AES-256-GCM',
      data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
      auth: 'SHA256',
      tls_crypt_key_inline: i.gateway.tlsCryptKey,
      ca_inline: i.gateway.vpnCaPem,
      cert_inline: i.cert.certPem,
      key_inline: pkcs8Pem(i.cert.keyDer),
      dns_push: [...i.policy.dnsPush],
      dns_search: [...i.policy.dnsSearch],
      redirect_gateway: i.policy.redirectGateway,
      block_outside_dns: i.policy.blockOutsideDns,
    },
    policy: {
      id: i.policy.id,
      idle_timeout_s: i.policy.idleTimeoutS,
      heartbeat_s: i.policy.heartbeatS,
      kill_switch: i.policy.killSwitch,
      allowed_timezones: [...i.policy.allowedTimezones],
    },
    ...(i.browser ? { browser: { url: i.browser.url, targets: [...i.browser.targets] } } : {}),
  };
}

/**
 * Validates the payload exactly as a client will (validateBootstrap), serializes it and seals it to
 * the device's HPKE key in the device's suite (X25519 unless given; P-256 for a TPM device). The
 * plaintext bytes are wiped whatever happens.
 */
export async function sealBootstrap(
  input: PayloadInput,
  recipientPublicKey: Uint8Array,
  suite?: EnvelopeSuite,
): Promise<Envelope> {
  const payload = validateBootstrap(buildBootstrapPayload(input), input.iat);
  const plaintext = Buffer.from(JSON.stringify(payload), 'utf8');
  try {
    return await sealEnvelope({
      recipientPublicKey,
      ...(suite ? { suite } : {}),
      deviceId: payload.device_id,
      sessionId: payload.session_id,
      exp: input.exp,
      plaintext,
    });
  } finally {
    wipe(plaintext);
  }
}
