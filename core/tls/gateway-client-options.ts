// The constant part of the TLS client context the daemon's pinned proxy dials a gateway's front door
// with (daemon/datapath/tls-client-context.ts adds the trust anchors and the session's certificate).
// It lives here, not in the daemon, because the backend measures the ClientHello these options make
// (server/services/tls-fingerprints/own-clients.ts) to allowlist it at the gateways: the two must be
// the same object, or the allowlist would drift from what the proxy really sends.
import { constants as cryptoConstants } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';

/** The only two suites the gateway's stunnel offers (docs/architecture.md#tls-13-only-two-suites). */
export const GATEWAY_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** TLS 1.3 only, the gateway's two suites, no renegotiation. */
export const GATEWAY_CLIENT_TLS_OPTIONS = Object.freeze({
  minVersion: 'TLSv1.3',
  maxVersion: 'TLSv1.3',
  ciphers: GATEWAY_CIPHERSUITES,
  // TLS 1.3 has no renegotiation; the flag guards against a future maxVersion change.
  secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
} as const satisfies SecureContextOptions);
