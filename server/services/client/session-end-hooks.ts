// What endSessions() runs for each ended session: revoke its OpenVPN client certificate and
// republish the int-vpn CRL. A failure here never stops the other sessions from ending: it is
// audited (pki / cert.revoke / error) and the certificate still expires with the session.
// withGatewayTeardown() adds the gateway side: the tunnel cut at once, beside the revocation (the cut
// is what a revocation must achieve quickly, and the node refuses a reconnect without the session's
// CCD entry anyway), then the new CRL pushed once the revocation is done; in the background (audited
// there), never delaying endSessions.
import type { RevocationReason, SessionEndReason } from '../../data/client.js';
import type { CrlPublisher } from '../../pki/crl.js';
import type { AuditService } from '../audit/service.js';
import { revokeCertificate } from '../pki/revocations.js';
import type { EndedSession, SessionEndDeps } from './end-sessions.js';
import type { SessionEventBus } from './events.js';

/** RFC 5280 reason for a session's certificate: an administrator's cut is a withdrawal of privilege. */
export function revocationReasonFor(reason: SessionEndReason): RevocationReason {
  return reason === 'revoked' ? 'privilegeWithdrawn' : 'cessationOfOperation';
}

export function sessionEndDeps(base: {
  readonly db: SessionEndDeps['db'];
  readonly audit: AuditService;
  readonly events: SessionEventBus;
  readonly now: () => Date;
  readonly crl: CrlPublisher;
}): SessionEndDeps {
  const { db, audit, events, now, crl } = base;
  const onEnded = async (s: EndedSession): Promise<void> => {
    if (!s.clientCertSerial) return;
    try {
      await revokeCertificate({ db, crl, now }, s.clientCertSerial, revocationReasonFor(s.reason));
    } catch {
      await audit.record({
        component: 'pki',
        action: 'cert.revoke',
        result: 'error',
        session_id: s.id,
        error_code: 'VIW_E_INTERNAL',
        error_msg: 'session certificate revocation failed',
      });
    }
  };
  return { db, audit, events, now, onEnded };
}

/** The same deps with the gateway teardown (services/gateways) started beside each revocation. */
export function withGatewayTeardown(
  deps: SessionEndDeps,
  gateways: { sessionEnded(sessionId: string, revoked: Promise<void>): void },
): SessionEndDeps {
  const revoke = deps.onEnded;
  return {
    ...deps,
    onEnded: async (s) => {
      const revoked = Promise.resolve(revoke?.(s));
      // The CRL push waits for the revocation; a failed one was audited by revoke and still ends here.
      gateways.sessionEnded(
        s.id,
        revoked.catch(() => undefined),
      );
      await revoked;
    },
  };
}
