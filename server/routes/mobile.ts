// The phone app's routes (core/api/mobile.ts): POST /mobile/bind, GET /mobile/otp (long-poll with
// ?wait=N ≤ 25 s), POST /mobile/otp/deny. Every request is signed by the phone key; rate-limited
// per IP (RATE_RULES.mobile).

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { OTP_MAX_WAIT_S } from '../../core/api/mobile.js';
import { verifySignedRequest } from '../http/signed-request.js';
import { identityDeps } from '../services/auth/identity.js';
import { assertActive, phoneSigner } from '../services/device/signers.js';
import { loadAttestationPolicy } from '../services/mobile/attestation/load.js';
import { revealChallengeFor, revealKind } from '../services/mobile/attestation/reveal.js';
import { assertPhoneTrusted, bindOptions, bindPhone, checkPhoneKey } from '../services/mobile/bind.js';
import { denyChallenge, pendingChallenge, revealChallenge, revealCode } from '../services/mobile/otp.js';
import { notePhoneSeen } from '../services/mobile/seen.js';
import { RATE_RULES } from '../services/rate-limit.js';
import type { FeaturePlugin } from './feature.js';
import { iso, limitPerIp, trailFor } from './identity-http.js';

export const mobileRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const deps = identityDeps(ctx);
  const signer = phoneSigner(ctx);
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());
  limitPerIp(app, ctx, RATE_RULES.mobile);
  // Read at start: a missing or malformed root or key file stops the start (VIW_E_CONFIG), never skipped.
  const policyAt = loadAttestationPolicy(ctx.config, (path) => readFileSync(path));
  const policy = () => policyAt((app.server.address() as AddressInfo | null)?.port ?? ctx.config.listenPort);
  // Country/AS of a login's source (ctx.geo, opened at start).
  const geo = ctx.geo;
  for (const db of geo.databases) {
    app.log.info(
      { setting: db.setting, type: db.databaseType, built: db.builtAt.toISOString() },
      'geoip database',
    );
  }

  const signedPhone = async (request: FastifyRequest) => {
    const { key } = await verifySignedRequest(request, ctx.kv, signer, ctx.now().getTime());
    assertActive(key.row);
    assertPhoneTrusted(ctx.config.mode, key.row);
    await notePhoneSeen(ctx.db, key.row, ctx.now());
    return key.row;
  };

  routes.handle(app, 'mobileBindOptions', async (request) =>
    trailFor(ctx, request, 'mobile.bind_options').run(async (trail) => {
      const { key, fingerprint } = checkPhoneKey(request.body.public_key);
      await verifySignedRequest(
        request,
        ctx.kv,
        async (keyId) => (keyId === fingerprint ? { publicKey: key } : null),
        ctx.now().getTime(),
      );
      trail.skip(); // the bind itself is audited, with its outcome
      return bindOptions(deps, policy(), { bindCode: request.body.bind_code, fingerprint });
    }),
  );

  routes.handle(app, 'mobileBind', async (request, reply) =>
    trailFor(ctx, request, 'mobile.bind').run(async (trail) => {
      const b = request.body;
      const { key, fingerprint } = checkPhoneKey(b.public_key);
      await verifySignedRequest(
        request,
        ctx.kv,
        async (keyId) => (keyId === fingerprint ? { publicKey: key } : null),
        ctx.now().getTime(),
      );
      const bound = await bindPhone(deps, trail, ctx.config.mode, policy(), {
        bindCode: b.bind_code,
        platform: b.platform,
        publicKey: b.public_key,
        fingerprint,
        attestation: b.attestation,
      });
      if (bound.verdict !== 'pass') {
        request.log.warn(
          { mobile_device_id: bound.id, attestation: b.attestation.type },
          'phone bound without verified attestation (development mode only)',
        );
      }
      return reply.code(201).send({
        mobile_device_id: bound.id,
        status: 'active' as const,
        attestation_verdict: bound.verdict,
        // Only a verified attestation makes a binding production-trusted.
        trust_mode: bound.verdict === 'pass' ? ('production' as const) : ('development' as const),
      });
    }),
  );

  routes.handle(app, 'mobileOtp', async (request, reply) =>
    trailFor(ctx, request, 'mobile.otp_fetch').run(async (trail) => {
      const phone = await signedPhone(request);
      const waitMs = Math.min(Number(request.query.wait ?? 0), OTP_MAX_WAIT_S) * 1000;
      const gone = new AbortController();
      reply.raw.on('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      const c = await pendingChallenge(deps, trail, phone, waitMs, signal);
      if (!c) {
        trail.skip();
        return reply.code(204).send(null);
      }
      // An attested phone gets the code only after proving itself again (reveal).
      const kind = revealKind(phone);
      const uv = kind
        ? revealChallengeFor(policy(), phone, kind, await revealChallenge(deps, phone, c.txnId))
        : null;
      trail.note(
        !kind
          ? `code shown for ${c.purpose}`
          : kind === 'webauthn'
            ? `challenge shown for ${c.purpose}; code after user verification`
            : `challenge shown for ${c.purpose}; code after ${kind} proof`,
      );
      const source = geo.describe(c.context.sourceIp);
      return reply.code(200).send({
        txn_id: c.txnId,
        ...(uv ? { reveal: uv } : { code: c.code }),
        expires_at: iso(c.expiresAt),
        purpose: c.purpose,
        context: {
          source_ip: c.context.sourceIp,
          source_network: source.network,
          country: source.country,
          asn: source.asn,
          device_id: c.context.deviceId,
          // `?? null`: a challenge stored by an older release has no name.
          device_name: c.context.deviceName ?? null,
          device_platform: c.context.devicePlatform,
          requested_at: iso(c.context.requestedAt),
        },
      });
    }),
  );

  routes.handle(app, 'mobileOtpReveal', async (request) =>
    trailFor(ctx, request, 'mobile.otp_reveal').run(async (trail) => {
      const phone = await signedPhone(request);
      const b = request.body;
      const c = await revealCode(deps, trail, phone, policy(), {
        txnId: b.txn_id,
        ...('assertion' in b ? { assertion: b.assertion } : {}),
        ...('app_attest_assertion' in b ? { appAttestAssertion: b.app_attest_assertion } : {}),
        ...('integrity_token' in b ? { integrityToken: b.integrity_token } : {}),
      });
      return { txn_id: c.txnId, code: c.code, expires_at: iso(c.expiresAt) };
    }),
  );

  routes.handle(app, 'mobileOtpDeny', async (request) =>
    trailFor(ctx, request, 'auth.otp_deny').run(async (trail) => {
      const phone = await signedPhone(request);
      await denyChallenge(deps, trail, phone, request.body.txn_id);
      return { status: 'denied' as const };
    }),
  );
};
