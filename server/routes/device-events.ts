// POST /device/events (core/api/device-events.ts): a thin edge over services/device/device-events.ts.
// Signed by the ENROLLED device key (key id = device_id) and checked exactly as POST /auth/login
// checks it: unknown key → 401 VIW_E_SIGNATURE_INVALID, then pending/revoked → 403. Rate-limited
// per source address before the body is read (one hit per request), and per device once the
// signature verified (one hit per report, so a batch of 16 spends 16 of the device's allowance;
// no one else can use it up). Its own plugin: the limits of /device/enroll (RATE_RULES.enroll)
// must not apply here.
import { reportsOf } from '../../core/api/device-events.js';
import { verifySignedRequest } from '../http/signed-request.js';
import { recordDeviceEvents } from '../services/device/device-events.js';
import { assertActive, desktopSigner } from '../services/device/signers.js';
import { RATE_RULES } from '../services/rate-limit.js';
import type { FeaturePlugin } from './feature.js';
import { clientIp, limitPerIp } from './identity-http.js';

export const deviceEventRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const signer = desktopSigner(ctx);
  limitPerIp(app, ctx, RATE_RULES.deviceEvents);

  routes.handle(app, 'deviceSecurityEvent', async (request, reply) => {
    const { key } = await verifySignedRequest(request, ctx.kv, signer, ctx.now().getTime());
    const reports = reportsOf(request.body);
    for (let i = 0; i < reports.length; i++) await ctx.rate.hit(RATE_RULES.deviceEventsPerDevice, key.row.id);
    assertActive(key.row);
    const { eventId } = await recordDeviceEvents(ctx, key.row, reports, {
      sourceIp: clientIp(request),
      traceId: request.id,
    });
    return reply.code(202).send({ accepted: true as const, event_id: eventId });
  });
};
