// What the start sequence adds to the context for bootstraps and sessions, and the background jobs
// that keep them honest:
//   gateway     the backend-owned gateway profile (row + keys under <dataDir>/pki/gateways/default)
//   crl         the CRL publisher (one CRL per intermediate, written at start and on revocation)
//   sessionEnd  what endSessions() needs, with certificate revocation wired in
// Jobs: the idle/expiry sweeper, and a CRL refresh well inside the CRLs' 24 h validity.
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../../config.js';
import type { Db } from '../../data/client.js';
import { CrlPublisher } from '../../pki/crl.js';
import type { EmbeddedPki } from '../../pki/embedded-pki.js';
import { type GatewayMaterial, loadOrCreateGatewayProfile } from '../../pki/gateway-profile.js';
import type { AuditService } from '../audit/service.js';
import { revokedSource } from '../pki/revocations.js';
import type { SessionEndDeps } from './end-sessions.js';
import type { SessionEventBus } from './events.js';
import { sessionEndDeps } from './session-end-hooks.js';
import { type SweeperDeps, startSessionSweeper } from './session-sweeper.js';

export interface SessionRuntime {
  readonly gateway: GatewayMaterial;
  readonly crl: CrlPublisher;
  readonly sessionEnd: SessionEndDeps;
}

export async function loadSessionRuntime(base: {
  readonly config: ServerConfig;
  readonly db: Db;
  readonly pki: EmbeddedPki;
  readonly audit: AuditService;
  readonly events: SessionEventBus;
  readonly now: () => Date;
}): Promise<SessionRuntime> {
  const { config, db, pki, now } = base;
  const gateway = await loadOrCreateGatewayProfile(db, pki, config.dataDir, config.gatewayFqdn);
  const crl = new CrlPublisher(pki, config.dataDir, revokedSource(db), now);
  await crl.publishAll();
  return { gateway, crl, sessionEnd: sessionEndDeps({ ...base, crl }) };
}

/** CRLs are valid 24 h; refreshing every 6 h leaves relying parties a wide margin. */
const CRL_REFRESH_MS = 6 * 3600_000;

export function startBackgroundJobs(
  ctx: SweeperDeps,
  log: Pick<FastifyBaseLogger, 'error'>,
): { stop(): void } {
  const sweeper = startSessionSweeper(ctx, {
    onError: (err) => log.error({ err }, 'session sweeper failed'),
  });
  const crlTimer = setInterval(() => {
    ctx.crl.publishAll().catch((err: unknown) => log.error({ err }, 'CRL refresh failed'));
  }, CRL_REFRESH_MS);
  crlTimer.unref();
  return {
    stop: () => {
      sweeper.stop();
      clearInterval(crlTimer);
    },
  };
}
