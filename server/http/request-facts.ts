// Facts of the request being served, for every audit event recorded while serving it — whichever
// service records it (identity trail, admin actions, bootstraps, device reports): the connection's
// JA3/JA4. One AsyncLocalStorage entered in an onRequest hook; AuditService asks it for what its
// caller left unsaid. Work a request starts (a background task) carries its facts too: the
// connection that caused it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditFacts } from '../../core/audit/event.js';

export type RequestFacts = Pick<AuditFacts, 'tls_ja3' | 'tls_ja4'>;

const store = new AsyncLocalStorage<RequestFacts>();

/** The facts of the request this code runs for ({} outside any request). */
export function currentRequestFacts(): RequestFacts {
  return store.getStore() ?? {};
}

/** Runs every request of `app` (from its first hook to its last) inside its own facts. */
export function installRequestFacts(
  app: FastifyInstance,
  factsOf: (request: FastifyRequest) => RequestFacts,
): void {
  app.addHook('onRequest', (request, _reply, done) => {
    store.run(factsOf(request), done);
  });
}
