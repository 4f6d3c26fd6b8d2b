// Everything a route or service needs, built once at start. Routes receive it through the plugin
// options; services take only the parts they use (so their tests build just those).
import type { ServerConfig } from './config.js';
import type { Db, Provider } from './data/client.js';
import type { KvStore } from './kv/kv-store.js';
import type { CrlPublisher } from './pki/crl.js';
import type { EmbeddedPki } from './pki/embedded-pki.js';
import type { GatewayMaterial } from './pki/gateway-profile.js';
import type { ServerSecrets } from './secrets.js';
import type { AuditService } from './services/audit/service.js';
import type { SessionEndDeps } from './services/client/end-sessions.js';
import type { SessionEventBus } from './services/client/events.js';
import type { GatewayControl } from './services/gateways/service.js';
import type { GeoIp } from './services/geo/geoip.js';
import type { PolicyWatch } from './services/policy/watch.js';
import type { RateLimiter } from './services/rate-limit.js';

export interface AppContext {
  readonly config: ServerConfig;
  readonly db: Db;
  readonly provider: Provider;
  readonly kv: KvStore;
  readonly pki: EmbeddedPki;
  readonly secrets: ServerSecrets;
  readonly audit: AuditService;
  readonly rate: RateLimiter;
  readonly events: SessionEventBus;
  /** The backend-owned gateway profile; private keys inside: only the bootstrap and gateway renderer read it. */
  readonly gateway: GatewayMaterial;
  /** One CRL per intermediate; publish() after revoking. */
  readonly crl: CrlPublisher;
  /** Pass to endSessions(): it revokes the ended sessions' client certificates and republishes the CRL. */
  readonly sessionEnd: SessionEndDeps;
  /** The SSH control plane for gateway nodes (hooks, admin operations, health poller). */
  readonly gatewayControl: GatewayControl;
  /** Country and AS of a source address (login, OTP and audit events; the policy's geo rules). */
  readonly geo: GeoIp;
  /** Told of every policy, assignment or membership change: live sessions are re-evaluated. */
  readonly policyWatch: PolicyWatch;
  /** Injectable clock for tests of expiry logic. */
  readonly now: () => Date;
}
