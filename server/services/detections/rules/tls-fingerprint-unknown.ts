// An unexpected TLS client (pki-siem §4.6 "JA3 not in allowlist", §9.2 "TLS downgrade attempt"):
// the backend's listener or a gateway's front door (the node's ClientHello capture, joined to
// stunnel's handshake by the ingest) saw a ClientHello whose JA4/JA3 is not one of our clients', or
// a handshake failed on a client offering less than TLS 1.3 — at the backend (by the JA4's version
// field: the JA3 hash cannot say, and JA3's own version field is the legacy 771 for TLS 1.3 clients
// too) or at a gateway's stunnel (by OpenSSL's protocol-version reason).
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

/** JA4's second and third characters are the highest version offered: `13` is TLS 1.3 (t, q or d). */
const TLS13_JA4 = ['t13', 'q13', 'd13'];
/**
 * JA4 version fields below TLS 1.3. A client offering only those fails its handshake and is judged a
 * downgrade (its tls.handshake failure): the same connection's tls.fingerprint_unknown would be a
 * second alert for one event, so the "unknown" trigger leaves it out.
 */
const BELOW_TLS13_JA4 = ['t12', 't11', 't10', 'ts3', 'ts2', 't00', 'q12', 'q00', 'd12', 'd10', 'd00'];
/** OpenSSL's reasons for a client that offered only versions the server refuses. */
const VERSION_REASONS = [
  'unsupported protocol',
  'version too low',
  'no protocols available',
  'protocol version',
];

export function tlsFingerprintUnknown(s: DetectionSettings): DetectionRule {
  const dedupeS = s.tlsFingerprint.dedupeS;
  return {
    id: 'tls_fingerprint_unknown',
    title: 'Unknown TLS client fingerprint or TLS downgrade attempt',
    description:
      'The backend or a gateway front door saw a TLS ClientHello whose JA4/JA3 is not in the allowlist ' +
      '(tls.fingerprint_unknown), or a TLS handshake failed on a client offering less than TLS 1.3: at the ' +
      'backend by the JA4 version field, at a gateway by the protocol-version reason stunnel logged. An ' +
      'unexpected client: a scanner, a script with stolen credentials, or an interception proxy.',
    severity: 'warning',
    key: [{ firstOf: ['tls_ja4', 'tls_ja3'] }, 'src_ip', 'gateway'],
    shape: {
      kind: 'each',
      dedupeMs: dedupeS * 1000,
      triggers: [
        {
          reason: 'unknown',
          title: 'Unknown TLS client fingerprint at the backend or a gateway',
          select: {
            action: ['tls.fingerprint_unknown'],
            // A gateway's: its front door's captured ClientHello, outside the gateways' allowlist.
            component: ['backend', 'gateway'],
            unless: { tls_ja4: { startsWith: BELOW_TLS13_JA4 } },
          },
        },
        {
          reason: 'downgrade',
          title: 'TLS downgrade attempt at the backend',
          severity: 'error',
          select: {
            action: ['tls.handshake'],
            component: ['backend'],
            result: ['failure'],
            present: ['tls_ja4'],
            unless: { tls_ja4: { startsWith: TLS13_JA4 } },
          },
        },
        {
          reason: 'downgrade',
          title: 'TLS downgrade attempt at a gateway',
          severity: 'error',
          select: {
            action: ['tls.handshake'],
            component: ['gateway'],
            result: ['failure'],
            where: { error_msg: { contains: VERSION_REASONS } },
          },
        },
      ],
    },
    falsePositives: [
      'A new client release or OS TLS library whose fingerprint was not yet added to the allowlist',
      'An administrator testing the listener with openssl s_client or curl',
    ],
    summary: (f) =>
      f.reason === 'downgrade'
        ? `TLS downgrade attempt from ${f.event.src_ip ?? '?'} at ${f.event.gateway ? `gateway ${f.event.gateway}` : 'the backend'}` +
          `${f.event.tls_ja4 ? ` (JA4 ${f.event.tls_ja4})` : ''}`
        : `Unknown TLS client from ${f.event.src_ip ?? '?'}${f.event.gateway ? ` at gateway ${f.event.gateway}` : ''}` +
          ` (JA4 ${f.event.tls_ja4 ?? '-'}, JA3 ${f.event.tls_ja3 ?? '-'})`,
  };
}
