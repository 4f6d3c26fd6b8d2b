// POST /device/enroll and POST /device/enroll/confirm (core/api/device.ts): thin HTTP edges over
// services/device/enroll.ts. Signed by the NEW device key (key id = fingerprint): proof of
// possession. Rate-limited per IP (RATE_RULES.enroll). With `requireHardwareKey` a software-protected
// device is refused first (VIW_E_HARDWARE_KEY_REQUIRED).
import { decodeDevicePublicKey, KEY_TYPES } from '../../core/crypto/device-key-type.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { verifySignedRequest } from '../http/signed-request.js';
import { identityDeps } from '../services/auth/identity.js';
import { dummyPasswordHash } from '../services/auth/password-check.js';
import {
  assertKeyProtectionAllowed,
  assertNewFingerprint,
  checkDeviceKeys,
  confirmEnrollWithOtp,
  type EnrolledRow,
  enrollWithToken,
  proposedDeviceName,
  startEnrollWithOtp,
} from '../services/device/enroll.js';
import { RATE_RULES } from '../services/rate-limit.js';
import type { FeaturePlugin } from './feature.js';
import { clientIp, iso, limitPerIp, trailFor } from './identity-http.js';

export const deviceRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const deps = identityDeps(ctx);
  await dummyPasswordHash();
  limitPerIp(app, ctx, RATE_RULES.enroll);
  const enrolled = (row: EnrolledRow) => ({
    device_id: row.id,
    status: row.status,
    fingerprint: row.fingerprint,
    backend_pins: ctx.pki.backendApi.pins,
  });

  routes.handle(app, 'deviceEnroll', async (request, reply) =>
    trailFor(ctx, request, 'device.enroll').run(async (trail) => {
      const b = request.body;
      assertKeyProtectionAllowed(ctx.config.requireHardwareKey, b.key_protection);
      const keyType = b.key_type ?? 'x25519_ed25519';
      const keys = { hpkePublicKey: b.hpke_public_key, signingPublicKey: b.signing_public_key };
      const { signingKey, alg } = checkDeviceKeys({ ...keys, fingerprint: b.fingerprint, keyType });
      await verifySignedRequest(
        request,
        ctx.kv,
        async (keyId) => (keyId === b.fingerprint ? { publicKey: signingKey, alg } : null),
        ctx.now().getTime(),
      );
      await assertNewFingerprint(deps, b.fingerprint);
      const input = {
        ...keys,
        fingerprint: b.fingerprint,
        platform: b.platform,
        name: proposedDeviceName(b.device_name),
        clientVersion: b.client_version,
        keyProtection: b.key_protection,
        keyType,
        username: b.username,
        password: b.password,
        sourceIp: clientIp(request),
      };
      if (b.enrollment_token !== undefined) {
        const row = await enrollWithToken(deps, trail, b.enrollment_token, input);
        return reply.code(201).send(enrolled(row));
      }
      const started = await startEnrollWithOtp(deps, trail, input);
      return reply.code(202).send({
        enroll_state: 'otp_required' as const,
        txn_id: started.txnId,
        otp_expires_at: iso(started.expiresAt),
      });
    }),
  );

  routes.handle(app, 'deviceEnrollConfirm', async (request, reply) =>
    trailFor(ctx, request, 'device.enroll_confirm').run(async (trail) => {
      const pending = (await deps.txns.read(request.body.txn_id))?.enrollment;
      if (!pending) throw new ViworksError('VIW_E_OTP_EXPIRED');
      const keyType = pending.keyType ?? 'x25519_ed25519';
      const publicKey = decodeDevicePublicKey(pending.signingPublicKey, keyType);
      const alg = KEY_TYPES[keyType].signatureAlg;
      const { keyId } = await verifySignedRequest(
        request,
        ctx.kv,
        async (id) => (id === pending.fingerprint && publicKey ? { publicKey, alg } : null),
        ctx.now().getTime(),
      );
      const row = await confirmEnrollWithOtp(deps, trail, {
        txnId: request.body.txn_id,
        code: request.body.otp_code,
        signerKeyId: keyId,
        sourceIp: clientIp(request),
      });
      return reply.code(201).send(enrolled(row));
    }),
  );
};
