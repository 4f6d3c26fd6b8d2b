// The TLS client context the pinned proxy dials the gateway with: TLS 1.3 only, the gateway's two
// suites, the bootstrap's CA as the ONLY trust anchors, and — because the gateway's stunnel runs
// with `verify = 2` (verifyChain + requireCert against int-vpn + root, CRLfile) — the session's
// OpenVPN client certificate and key. In TLS 1.3 a client without one completes its side of the
// handshake and is then killed by a CERTIFICATE_REQUIRED alert, so the certificate is not optional
// against a real gateway.
//
// The key is handed to OpenSSL once, from a copy that is zeroed as soon as the context is built:
// after that the key lives only inside the context (OpenSSL's memory), never in a file, argv or env.
// The daemon passes it as bytes (the session's Buffer, core/bootstrap/opened.ts), never as a string:
// the session wipes its own copy at teardown.
import { createSecureContext, type SecureContext } from 'node:tls';
import { pemBlock } from '../../core/bootstrap/secret-bytes.js';
import { secretCopy, wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { GATEWAY_CLIENT_TLS_OPTIONS } from '../../core/tls/gateway-client-options.js';

export interface ClientContextInput {
  /** Trust anchors for the gateway chain (PEM): replaces Node's public root store. */
  readonly caPem: string;
  /** The session's client certificate (PEM, the same one OpenVPN presents inside). */
  readonly clientCertPem?: string;
  /** Its private key (PEM, PKCS#8): bytes from the daemon (wipeable); a string in tests only. */
  readonly clientKeyPem?: string | Uint8Array;
}

const CERT_RE = /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/;

/** Problems with the client identity, as VIW_E_VALIDATION details (never the values). */
export function clientIdentityProblems(input: ClientContextInput): string[] {
  const { clientCertPem: cert, clientKeyPem: key } = input;
  if (cert === undefined && key === undefined) return [];
  if (cert === undefined || key === undefined) return ['clientCertPem/clientKeyPem: give both or neither'];
  const bad: string[] = [];
  if (!CERT_RE.test(cert)) bad.push('clientCertPem: not one PEM certificate');
  const keyBytes = typeof key === 'string' ? Buffer.from(key) : key;
  const block = pemBlock(keyBytes, 'PRIVATE KEY');
  if (!block) bad.push('clientKeyPem: not one PEM private key');
  wipe(block);
  if (typeof key === 'string') wipe(keyBytes);
  return bad;
}

/**
 * Builds the context once per proxy. A certificate that does not match its key is refused here
 * (VIW_E_VALIDATION), before anything is dialed.
 */
export function buildClientContext(input: ClientContextInput): SecureContext {
  const problems = clientIdentityProblems(input);
  if (problems.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: problems });
  // A copy OpenSSL reads once; the caller's own bytes stay the caller's to wipe.
  const key =
    input.clientKeyPem === undefined
      ? undefined
      : typeof input.clientKeyPem === 'string'
        ? Buffer.from(input.clientKeyPem)
        : secretCopy(input.clientKeyPem);
  try {
    return createSecureContext({
      ca: input.caPem,
      ...(input.clientCertPem === undefined ? {} : { cert: input.clientCertPem }),
      ...(key === undefined ? {} : { key }),
      // TLS 1.3 only, the two suites, no renegotiation: in core/tls, because the backend measures
      // the ClientHello these options make to allowlist it at the gateways.
      ...GATEWAY_CLIENT_TLS_OPTIONS,
    });
  } catch (err) {
    // OpenSSL's reason (e.g. KEY_VALUES_MISMATCH) without any of the input.
    const code = (err as { code?: unknown }).code;
    const safe = typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'unknown';
    throw new ViworksError('VIW_E_VALIDATION', { details: [`client identity: ${safe}`], cause: err });
  } finally {
    if (key) wipe(key);
  }
}
