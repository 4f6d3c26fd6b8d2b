// Small pieces the identity routes (auth, device, mobile) share: the caller's address as stored
// and compared, the per-request audit trail, the connection's TLS fingerprints (which every audit
// event of the request gets: server/http/request-facts.ts), and the per-IP rate limit hook.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fingerprintFacts } from '../../core/tls/fingerprint-facts.js';
import type { AppContext } from '../context.js';
import { fingerprintsOf } from '../http/client-hello-gate.js';
import { AuditTrail } from '../services/audit/trail.js';
import type { RateRule } from '../services/rate-limit.js';

/** The peer address, with IPv4-mapped IPv6 (`::ffff:192.0.2.1`) written as plain IPv4. */
export function clientIp(request: FastifyRequest): string {
  return request.ip.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

export function trailFor(ctx: AppContext, request: FastifyRequest, action: string): AuditTrail {
  return new AuditTrail(ctx.audit, action, { srcIp: clientIp(request), traceId: request.id });
}

/** The JA3/JA4 of the connection `request` came on, as audit fields (null when not read). */
export function connectionFingerprints(request: FastifyRequest) {
  return fingerprintFacts(fingerprintsOf(request.raw.socket));
}

/** Counts every request of the plugin against `rule` per source address, before the body is read. */
export function limitPerIp(app: FastifyInstance, ctx: AppContext, rule: RateRule): void {
  app.addHook('onRequest', async (request) => {
    await ctx.rate.hit(rule, clientIp(request));
  });
}

export const iso = (ms: number) => new Date(ms).toISOString();
