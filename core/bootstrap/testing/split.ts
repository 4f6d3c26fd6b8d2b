// Tests and benchmarks build whole `ovpn` policies (as the backend seals them); the daemon's
// components take the public part and the secrets apart, as core/bootstrap/opened.ts gives them.
import type { OvpnSecretsOf, PublicOvpn } from '../opened.js';
import type { BootstrapPayload } from '../payload.js';

export function splitOvpn(full: BootstrapPayload['ovpn']): { ovpn: PublicOvpn; secrets: OvpnSecretsOf } {
  const { tls_crypt_key_inline, key_inline, ...ovpn } = full;
  return {
    ovpn,
    secrets: { tlsCryptKey: Buffer.from(tls_crypt_key_inline), clientKeyPem: Buffer.from(key_inline) },
  };
}
