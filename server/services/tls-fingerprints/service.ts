// TLS client fingerprints at the backend's listener, put together at start: our own clients'
// fingerprints measured (own-clients.ts), the configured ones read (a bad file stops the start),
// and the recorder the ClientHello gate reports every handshake to (handshake-events.ts). The
// gateways' front doors have their own allowlist (gateway-unknown.ts): the daemon's pinned proxy is
// the only client of ours that dials them, and it never dials the backend, so each list holds only
// the clients expected where it is used; the configured fingerprints are in both.
import type { ServerConfig } from '../../config.js';
import type { KvStore } from '../../kv/kv-store.js';
import type { AuditService } from '../audit/service.js';
import { FingerprintAllowlist, readAllowlistFile } from './allowlist.js';
import { HandshakeEvents } from './handshake-events.js';
import { type OwnClientFingerprint, ownClientFingerprints } from './own-clients.js';

export interface TlsFingerprinting {
  /** The backend listener's: our backend clients and the configured fingerprints. */
  readonly allowlist: FingerprintAllowlist;
  /** The gateways' front doors': the daemon's gateway proxy and the configured fingerprints. */
  readonly gatewayAllowlist: FingerprintAllowlist;
  readonly ownClients: readonly OwnClientFingerprint[];
  readonly events: HandshakeEvents;
}

export async function startTlsFingerprinting(deps: {
  readonly config: Pick<ServerConfig, 'tls'>;
  readonly kv: KvStore;
  readonly audit: Pick<AuditService, 'record'>;
  /** Any CA bundle our clients would be given (the backend's root): only the hello is measured. */
  readonly caPem: string;
  readonly log: { error(obj: object, msg: string): void };
}): Promise<TlsFingerprinting> {
  const { tls } = deps.config;
  const fromFile = tls.fingerprintAllowlistFile ? readAllowlistFile(tls.fingerprintAllowlistFile) : [];
  const { fingerprints: ownClients, missing } = await ownClientFingerprints(deps.caPem);
  if (missing.length > 0) {
    deps.log.error(
      { missing },
      'could not measure our own clients’ TLS fingerprints: their connections will count as unknown',
    );
  }
  const configured = [...tls.fingerprintAllowlist, ...fromFile];
  const measured = (atGateway: boolean) =>
    ownClients.filter((f) => (f.variant === 'gateway proxy') === atGateway).flatMap((f) => [f.ja4, f.ja3]);
  const allowlist = new FingerprintAllowlist([...measured(false), ...configured]);
  const gatewayAllowlist = new FingerprintAllowlist([...measured(true), ...configured]);
  const events = new HandshakeEvents({
    allowlist,
    kv: deps.kv,
    record: (facts) => deps.audit.record(facts),
    log: deps.log,
  });
  return { allowlist, gatewayAllowlist, ownClients, events };
}
