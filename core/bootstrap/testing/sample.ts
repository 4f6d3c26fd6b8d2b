// A valid bootstrap payload with fresh random keys, for the payload's and the opener's tests.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { BootstrapPayload } from '../payload.js';

export const NOW = new Date('2026-11-23T10:00:00.000Z');
const pin = () => createHash('sha256').update(randomBytes(32)).digest('base64');
const pemOf = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;
const tlsCrypt = () =>
  `-----BEGIN OpenVPN Static key V1-----\n${Array.from({ length: 16 }, () => randomBytes(16).toString('hex')).join('\n')}\n-----END OpenVPN Static key V1-----\n`;

export function sample(): BootstrapPayload {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    ver: 1,
    iat: '2026-11-23T09:59:00.000Z',
    exp: '2026-11-23T10:08:00.000Z',
    user: 'u-3f9a0c2b',
    session_id: 's-77ccaa01',
    device_id: 'd-0b1c2d3e',
    gw_fqdn: 'gw.lab.viworks.test',
    gw_port: 443,
    spki_pins: {
      backend: { primary_b64: pin(), backup_b64: pin() },
      gateway: { primary_b64: pin(), backup_b64: pin() },
    },
    spa: {
      proto: 'udp',
      port: 62201,
      username: 'd-0b1c2d3e',
      enc_key: randomBytes(32).toString('base64'),
      hmac_key: randomBytes(64).toString('base64'),
      ttl_s: 20,
    },
    ovpn: {
      proto: 'tcp-client',
      cipher: 'AES-256-GCM',
      data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
      auth: 'SHA256',
      tls_crypt_key_inline: tlsCrypt(),
      ca_inline: pemOf('CERTIFICATE', randomBytes(400)) + pemOf('CERTIFICATE', randomBytes(400)),
      cert_inline: pemOf('CERTIFICATE', randomBytes(400)),
      key_inline: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      dns_push: ['10.8.0.1'],
      dns_search: ['corp.example', 'example.com.'],
      redirect_gateway: true,
      block_outside_dns: true,
    },
    policy: {
      id: 'p-default',
      idle_timeout_s: 900,
      heartbeat_s: 30,
      kill_switch: 'optional',
      allowed_timezones: [],
    },
  };
}
