// Everything a route or service needs, built once at start. Routes receive it through the plugin
// options; services take only the parts they use (so their tests build just those).
import type { ServerConfig } from './config.js';
import type { Db, Provider } from './data/client.js';
import type { KvStore } from './kv/kv-store.js';
import type { EmbeddedPki } from './pki/embedded-pki.js';
import type { ServerSecrets } from './secrets.js';
import type { AuditService } from './services/audit.js';
import type { RateLimiter } from './services/rate-limit.js';
import type { SessionEventBus } from './services/session-events.js';

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
  /** Injectable clock for tests of expiry logic. */
  readonly now: () => Date;
}
