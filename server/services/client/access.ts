// Desktop access tokens on the client routes: `Authorization: Bearer viw_at_…` (issued by
// POST /auth/verify), and the sessions such a token may act on (its own device's only).
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db, Session } from '../../data/client.js';
import type { KvStore } from '../../kv/kv-store.js';
import { type AccessClaims, accessTokens } from '../auth/grants.js';

export interface ClientAccess {
  readonly token: string;
  readonly claims: AccessClaims;
}

const BEARER_RE = /^Bearer ([A-Za-z0-9_-]{1,128})$/;

/** Reads and checks the bearer token. Missing → VIW_E_AUTH_REQUIRED; anything else wrong → VIW_E_TOKEN_INVALID. */
export async function authenticateClient(kv: KvStore, authorization: unknown): Promise<ClientAccess> {
  if (authorization === undefined || authorization === '') throw new ViworksError('VIW_E_AUTH_REQUIRED');
  const m = typeof authorization === 'string' ? BEARER_RE.exec(authorization) : null;
  const claims = m ? await accessTokens(kv).read(m[1]!) : null;
  if (!m || !claims) throw new ViworksError('VIW_E_TOKEN_INVALID');
  return { token: m[1]!, claims };
}

/**
 * The session named by `wireSessionId` if it belongs to the token's user and device. A foreign or
 * unknown session is the same VIW_E_NOT_FOUND, so ids cannot be probed.
 */
export async function ownedSession(
  { db }: { readonly db: Db },
  access: ClientAccess,
  wireSessionId: string,
): Promise<Session> {
  const id = fromWireId('s', wireSessionId);
  const session = id ? await db.session.findUnique({ where: { id } }) : null;
  if (!session || session.deviceId !== access.claims.deviceId || session.userId !== access.claims.userId) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['session_id: no such session for this device'] });
  }
  return session;
}
