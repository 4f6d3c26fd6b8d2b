// GET /client/bootstrap, the service: after password + phone OTP the desktop presents its access
// token and the one-time bootstrap grant, and receives a payload sealed to its enrolled X25519 key.
// Order: token → same source address → grant taken exactly once and matching the token → user and
// device still allowed → Session row → per-session client certificate → payload validated → sealed
// → every plaintext and private-key buffer wiped. Nothing unsealed is stored or logged. Failures
// after the session row exists end that session (its certificate is revoked with it). When the
// session's gateway is active, the device's SPA keys and the session's CCD entry are put on it over
// SSH before the payload is returned; if that fails the bootstrap fails closed (session ended).
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { wipe } from '../../../core/crypto/bytes.js';
import { KEY_TYPES } from '../../../core/crypto/device-key-type.js';
import type { Envelope, EnvelopeSuite } from '../../../core/crypto/envelope-format.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import { type AccessClaims, BOOTSTRAP_GRANT_TTL_MS, bootstrapGrants, sameSource } from '../auth/grants.js';
import { tokenHash, tokenKind } from '../auth/tokens.js';
import { ensureDeviceSpaKeys, type SpaKeys, wipeSpaKeys } from '../device/spa-keys.js';
import type { BrowserViewer } from '../gateways/browser-session.js';
import { denialError, evaluatePolicy, nextScheduleChange } from '../policy/evaluate.js';
import { gatherFacts } from '../policy/facts.js';
import { effectivePolicyFor, policyTag } from '../policy/resolve.js';
import { authenticateClient, type ClientAccess } from './access.js';
import { BOOTSTRAP_TTL_S, sealBootstrap } from './bootstrap-payload.js';
import { issueSessionCertificate, type SessionCertificate } from './certs.js';
import { endSessions } from './end-sessions.js';
import { type SessionPolicy, sessionPolicyOf } from './session-policy.js';

export interface BootstrapRequest {
  /** The Authorization header as received. */
  readonly authorization: unknown;
  readonly grant: unknown;
  readonly sourceIp: string;
  readonly traceId: string;
}

export interface BootstrapResponse {
  readonly envelope: Envelope;
  /** Wire id `s-…`. */
  readonly session_id: string;
  /** When the session (not the envelope) ends, RFC 3339 UTC. */
  readonly expires_at: string;
}

/**
 * Takes the grant exactly once and checks it belongs to the token's login (txn, user, device). A
 * second presentation is VIW_E_BOOTSTRAP_REPLAY, even concurrently.
 */
async function takeGrant(ctx: AppContext, grant: unknown, token: AccessClaims): Promise<void> {
  if (typeof grant !== 'string' || tokenKind(grant) !== 'bg') {
    throw new ViworksError('VIW_E_TOKEN_INVALID', {
      details: ['viworks-bootstrap-grant: missing or malformed'],
    });
  }
  const marker = `bg-used:${tokenHash(grant)}`;
  if (!(await ctx.kv.setIfAbsent(marker, '1', BOOTSTRAP_GRANT_TTL_MS))) {
    throw new ViworksError('VIW_E_BOOTSTRAP_REPLAY');
  }
  const claims = await bootstrapGrants(ctx.kv).take(grant);
  if (!claims) {
    await ctx.kv.del(marker); // never valid (or expired): do not remember it
    throw new ViworksError('VIW_E_TOKEN_INVALID', {
      details: ['viworks-bootstrap-grant: unknown or expired'],
    });
  }
  if (
    claims.loginTxnId !== token.loginTxnId ||
    claims.userId !== token.userId ||
    claims.deviceId !== token.deviceId
  ) {
    throw new ViworksError('VIW_E_TOKEN_INVALID', { details: ['grant and token are from different logins'] });
  }
}

async function allowedActor(ctx: AppContext, userId: string, deviceId: string) {
  const device = await ctx.db.desktopDevice.findUnique({
    where: { id: deviceId },
    include: {
      user: {
        select: { id: true, auditId: true, locked: true, lockedUntil: true, mustChangePassword: true },
      },
    },
  });
  if (!device || device.userId !== userId) throw new ViworksError('VIW_E_DEVICE_UNKNOWN');
  if (device.status === 'pending_approval') throw new ViworksError('VIW_E_DEVICE_PENDING');
  if (device.status !== 'active') throw new ViworksError('VIW_E_DEVICE_REVOKED');
  const u = device.user;
  if (u.locked || (u.lockedUntil && u.lockedUntil > ctx.now()))
    throw new ViworksError('VIW_E_ACCOUNT_LOCKED');
  // An administrator reset the password after this grant was issued: no new session until changed.
  if (u.mustChangePassword) throw new ViworksError('VIW_E_PASSWORD_CHANGE_REQUIRED');
  // The device's suite follows from its key type (X25519, or P-256 for a TPM device).
  const spec = KEY_TYPES[device.keyType];
  const key = Buffer.from(device.hpkePublicKey, 'base64url');
  if (key.length !== spec.publicKeyBytes) {
    throw new ViworksError('VIW_E_INTERNAL', { details: ['device HPKE key malformed'] });
  }
  return { device, user: u, hpkePublicKey: key, suite: spec.suite };
}

/** Seals the session's payload (its certificate, the device's SPA keys) to the device's HPKE key. */
function sealSession(
  ctx: AppContext,
  s: {
    readonly session: { readonly id: string; readonly expiresAt: Date };
    readonly deviceId: string;
    /** The device's SPA keys and the session certificate; the caller wipes both. */
    readonly spa: SpaKeys;
    readonly cert: SessionCertificate;
    readonly user: { readonly auditId: string };
    readonly policy: SessionPolicy;
    readonly browser: BrowserViewer | null;
    readonly hpkePublicKey: Uint8Array;
    readonly suite: EnvelopeSuite;
    readonly now: Date;
  },
): Promise<Envelope> {
  return sealBootstrap(
    {
      iat: s.now,
      exp: new Date(s.now.getTime() + BOOTSTRAP_TTL_S * 1000),
      userPseudonym: ctx.audit.userPseudonym(s.user.auditId),
      sessionId: s.session.id,
      deviceId: s.deviceId,
      gateway: ctx.gateway,
      backendPins: ctx.pki.backendApi.pins,
      spa: s.spa,
      cert: s.cert,
      policy: s.policy,
      browser: s.browser,
    },
    s.hpkePublicKey,
    s.suite,
  );
}

/**
 * The session on its gateway (SPA keys, authorization, forwarding, browser) and its certificate,
 * side by side: neither needs the other, and the gateway's SSH round trip is the longest step of a
 * bootstrap. Both are waited for before anything is thrown, so a failure never leaves an issuance
 * running past the caller's clean-up (which revokes the session's certificate).
 */
async function prepareAndIssue(
  ctx: AppContext,
  gatewayStep: () => Promise<BrowserViewer | null>,
  session: { readonly id: string; readonly expiresAt: Date },
): Promise<{ browser: BrowserViewer | null; cert: SessionCertificate }> {
  const [browser, cert] = await Promise.allSettled([gatewayStep(), issueSessionCertificate(ctx, session)]);
  if (browser.status === 'rejected' || cert.status === 'rejected') {
    if (cert.status === 'fulfilled') wipe(cert.value.keyDer);
    throw browser.status === 'rejected' ? browser.reason : (cert as PromiseRejectedResult).reason;
  }
  return { browser: browser.value, cert: cert.value };
}

export async function issueBootstrap(ctx: AppContext, req: BootstrapRequest): Promise<BootstrapResponse> {
  let access: ClientAccess | null = null;
  let userAuditId: string | null = null;
  let sessionId: string | null = null;
  /** `p-…@version` of the policy evaluated, and the rule that denied (for the audit event). */
  let tag: string | null = null;
  let denial: string | null = null;
  try {
    access = await authenticateClient(ctx.kv, req.authorization);
    const { claims } = access;
    // Checked before the grant is consumed: a stolen pair used elsewhere does not burn the user's grant.
    if (!sameSource(claims.sourceIp, req.sourceIp)) throw new ViworksError('VIW_E_SOURCE_CHANGED');
    await takeGrant(ctx, req.grant, claims);
    const { device, user, hpkePublicKey, suite } = await allowedActor(ctx, claims.userId, claims.deviceId);
    userAuditId = user.auditId;
    // The policy that applies now, evaluated again here (the login evaluated it before the code):
    // an assignment, a schedule or the device may have changed since.
    const effective = await effectivePolicyFor(ctx, user.id);
    tag = policyTag(effective.ref);
    // The version the daemon reported with this login (auth v5), not the one it enrolled with;
    // none reported (an older daemon) meets no minimum.
    const clientVersion = claims.clientVersion ?? null;
    const facts = await gatherFacts(ctx, {
      userId: user.id,
      device: { keyProtection: device.keyProtection, clientVersion },
      sourceIp: req.sourceIp,
      hardened: claims.hardened ?? null,
      gateway: ctx.gateway.name,
      at: ctx.now(),
    });
    const verdict = evaluatePolicy(effective.document, facts);
    if (!verdict.allowed) {
      denial = verdict.denial;
      throw denialError(verdict);
    }
    const policy = sessionPolicyOf(effective.ref, effective.document);
    const boundary = nextScheduleChange(effective.document, ctx.now());
    if (boundary) ctx.policyWatch.checkAt(boundary);
    // One live session per device: a new login on it ends the previous one (audited by endSessions).
    await endSessions(ctx.sessionEnd, { deviceId: device.id }, 'logout', { traceId: req.traceId });
    const now = ctx.now();
    const session = await ctx.db.session.create({
      data: {
        userId: user.id,
        deviceId: device.id,
        gatewayId: ctx.gateway.id,
        expiresAt: new Date(now.getTime() + policy.sessionLifetimeS * 1000),
        policyId: policy.id,
        policyVersion: policy.version,
        sourceIp: req.sourceIp,
        hardened: claims.hardened ?? null,
        clientVersion,
      },
    });
    sessionId = session.id;
    // Administrators watching sessions see it at once (GET /admin/sessions/events).
    ctx.events.publish({ type: 'started', sessionId: session.id, at: now.toISOString() });
    // A device's first session makes its SPA keys: before the gateway syncs them (prepareSession),
    // which runs before sealing because the payload carries the session's browser viewer, if any.
    // Read once, sent to the gateway and sealed into the payload from the same buffers, wiped
    // whatever happens.
    const spa = await ensureDeviceSpaKeys(ctx, device.id);
    let envelope: Envelope;
    let cert: SessionCertificate | undefined;
    try {
      // A split tunnel's routes go into the session's CCD on top of the gateway's own push_routes.
      const gatewayStep = () =>
        ctx.gatewayControl.prepareSession({
          gatewayId: session.gatewayId,
          deviceId: device.id,
          spaKeys: spa,
          sessionId: session.id,
          expiresAt: session.expiresAt,
          pushRoutes: [...policy.pushRoutes],
          policy: { id: policy.id, version: policy.version, networks: policy.networks },
          browser: policy.browser,
          traceId: req.traceId,
        });
      const prepared = await prepareAndIssue(ctx, gatewayStep, session);
      cert = prepared.cert;
      envelope = await sealSession(ctx, {
        session,
        deviceId: device.id,
        spa,
        cert,
        user,
        policy,
        browser: prepared.browser,
        hpkePublicKey,
        suite,
        now,
      });
    } finally {
      wipeSpaKeys(spa);
      wipe(cert?.keyDer);
    }
    await ctx.audit.record({
      component: 'backend',
      action: 'bootstrap.issue',
      result: 'success',
      userAuditId,
      device_id: device.id,
      session_id: session.id,
      src_ip: req.sourceIp,
      policy_id: tag,
      trace_id: req.traceId,
    });
    return { envelope, session_id: toWireId('s', session.id), expires_at: session.expiresAt.toISOString() };
  } catch (err) {
    if (sessionId) {
      await endSessions(ctx.sessionEnd, { sessionId }, 'revoked', { traceId: req.traceId }).catch(() => []);
    }
    const viw = err instanceof ViworksError ? err : null;
    await ctx.audit
      .record({
        component: 'backend',
        action: 'bootstrap.issue',
        result: viw && viw.status < 500 ? 'denied' : 'error',
        userAuditId,
        device_id: access?.claims.deviceId ?? null,
        session_id: sessionId,
        src_ip: req.sourceIp,
        policy_id: tag,
        trace_id: req.traceId,
        error_code: viw?.code ?? 'VIW_E_INTERNAL',
        error_msg: denial,
      })
      .catch(() => undefined);
    throw err;
  }
}
