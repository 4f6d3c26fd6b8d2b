// POST /auth/login, /auth/verify and /auth/password (core/api/auth.ts): thin HTTP edges over
// services/auth/login.ts and services/auth/password.ts. All are signed by an enrolled
// desktop; all are rate-limited per IP.
import type { VerifyReply } from '../../core/api/auth.js';
import { PASSWORD_POLICY } from '../../core/api/common.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { verifySignedRequest } from '../http/signed-request.js';
import { identityDeps } from '../services/auth/identity.js';
import { completeLogin, startLogin } from '../services/auth/login.js';
import { changePasswordWithToken } from '../services/auth/password.js';
import { dummyPasswordHash } from '../services/auth/password-check.js';
import { assertActive, desktopSigner } from '../services/device/signers.js';
import { noteLoginPins } from '../services/device/stale-pins.js';
import { RATE_RULES } from '../services/rate-limit.js';
import type { FeaturePlugin } from './feature.js';
import { clientIp, iso, limitPerIp, trailFor } from './identity-http.js';

export const authRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const deps = identityDeps(ctx);
  const signer = desktopSigner(ctx);
  await dummyPasswordHash(); // the first unknown-user login must cost what every other one does
  limitPerIp(app, ctx, RATE_RULES.auth);

  const signedDevice = async (request: Parameters<typeof verifySignedRequest>[0]) => {
    const { key } = await verifySignedRequest(request, ctx.kv, signer, ctx.now().getTime());
    assertActive(key.row);
    return key.row;
  };

  routes.handle(app, 'authLogin', async (request) =>
    trailFor(ctx, request, 'auth.login').run(async (trail) => {
      const device = await signedDevice(request);
      trail.device(device.id);
      if (request.body.device_id !== device.id) {
        throw new ViworksError('VIW_E_VALIDATION', { details: ['device_id: must be the signing device'] });
      }
      // A client still pinning a key retired longer than the pin-roll window ago (client.pin_stale):
      // recorded, never a refusal — it verified this connection with a pin that is still published.
      await noteLoginPins(
        ctx,
        device,
        request.body.backend_pins ?? [],
        { sourceIp: clientIp(request), traceId: request.id },
        { windowDays: ctx.config.detections.pinRollWindowDays },
      );
      const started = await startLogin(deps, trail, device, {
        username: request.body.username,
        password: request.body.password,
        deviceNonce: request.body.device_nonce,
        sourceIp: clientIp(request),
        posture: request.body.posture ?? null,
        clientVersion: request.body.client_version ?? null,
      });
      return {
        login_state: 'otp_required' as const,
        txn_id: started.txnId,
        otp_expires_at: iso(started.expiresAt),
      };
    }),
  );

  routes.handle(
    app,
    'authVerify',
    async (request): Promise<VerifyReply> =>
      trailFor(ctx, request, 'auth.otp_verify').run(async (trail) => {
        const device = await signedDevice(request);
        trail.device(device.id);
        const outcome = await completeLogin(deps, trail, device, {
          txnId: request.body.txn_id,
          code: request.body.otp_code,
          sourceIp: clientIp(request),
        });
        if (outcome.state === 'password_change_required') {
          return {
            login_state: 'password_change_required',
            password_token: outcome.passwordToken,
            password_token_expires_at: iso(outcome.expiresAt),
            password_policy: { ...PASSWORD_POLICY },
          };
        }
        return {
          login_state: 'ok',
          access_token: outcome.accessToken,
          bootstrap_grant: outcome.bootstrapGrant,
          expires_at: iso(outcome.expiresAt),
        };
      }),
  );

  routes.handle(app, 'authPassword', async (request) =>
    trailFor(ctx, request, 'auth.password_change').run(async (trail) => {
      const device = await signedDevice(request);
      trail.device(device.id);
      await changePasswordWithToken(deps, trail, device, {
        passwordToken: request.body.password_token,
        newPassword: request.body.new_password,
        sourceIp: clientIp(request),
      });
      return { login_state: 'login_required' as const };
    }),
  );
};
