// Login (POST /v1/login → /auth/login), the phone's code (POST /v1/otp → /auth/verify) and the
// one-time password change (POST /v1/password → /auth/password), each signed by the device key.
// The password travels once, in the request body, and is not kept; the transaction id, access
// token, bootstrap grant and password token stay in the SecretVault until used or expired.
import { randomBytes } from 'node:crypto';
import type { Static } from 'typebox';
import { newPasswordProblemsOfCodePoints } from '../../core/api/common.js';
import {
  LOCAL_API_VERSION,
  type LoginRequestSchema,
  type LoginResponseSchema,
  type OtpRequestSchema,
  type OtpResponseSchema,
  type PasswordRequestSchema,
  type WithLocalSecrets,
} from '../../core/api/local.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { utf8CodePoints } from '../../core/secrets/secret-text.js';
import type { EngineContext } from './engine-context.js';
import { codeOf } from './errors.js';
import { NO_TIMINGS, round } from './status.js';

type LoginReq = WithLocalSecrets<Static<typeof LoginRequestSchema>>;
type LoginRes = Static<typeof LoginResponseSchema>;
type OtpReq = WithLocalSecrets<Static<typeof OtpRequestSchema>>;
type OtpRes = Static<typeof OtpResponseSchema>;
type PasswordReq = WithLocalSecrets<Static<typeof PasswordRequestSchema>>;

/** Codes after which the code may simply be typed again. */
const RETRYABLE_OTP = new Set(['VIW_E_OTP_INVALID', 'VIW_E_RATE_LIMITED']);

export async function login(e: EngineContext, req: LoginReq): Promise<LoginRes> {
  if (e.activeSession()) throw new ViworksError('VIW_E_STATE', { details: ['disconnect first'] });
  const record = e.requireRecord();
  e.wipeSecrets();
  e.setState('logging_in', { otp_expires_at: null, last_error: null, timings: NO_TIMINGS });
  e.log.event('auth.login', 'start', { device: record.device_id });
  try {
    const r = await e.backend(record).login(
      {
        username: record.username,
        password: req.password,
        device_id: record.device_id,
        device_nonce: randomBytes(24).toString('base64url'),
        // Recorded in the login's audit event (daemon/hardening/, core/api/posture.ts).
        posture: e.posture(),
        // The backend's pin-staleness check (auth v4; client.pin_stale after a roll's window).
        backend_pins: [record.backend_pins.primary_b64, record.backend_pins.backup_b64],
        // The policy's minimum client version is judged by this, not by the enrollment's (auth v5).
        client_version: e.clientInfo().daemonVersion,
      },
      e.signer(record),
    );
    e.holdSecret('login', {
      txnId: r.value.txn_id,
      expiresAtMs: Date.parse(r.value.otp_expires_at),
      loginMs: r.elapsedMs,
    });
    if (record.status !== 'active') await e.saveRecord({ ...record, status: 'active' });
    e.setState('otp_pending', { otp_expires_at: r.value.otp_expires_at });
    e.log.event('auth.login', 'ok', { next: 'otp', trace: r.traceId });
    return { v: LOCAL_API_VERSION, state: 'otp_pending', otp_expires_at: r.value.otp_expires_at };
  } catch (err) {
    await noteDeviceStatus(e, err);
    e.log.event('auth.login', 'failed', { code: codeOf(err) });
    throw e.fail(err);
  }
}

export async function otp(e: EngineContext, req: OtpReq): Promise<OtpRes> {
  const txn = e.secret('login');
  if (!txn)
    throw new ViworksError('VIW_E_STATE', { details: ['no login is waiting for a code: log in first'] });
  const record = e.requireRecord();
  try {
    const r = await e.backend(record).verify({ txn_id: txn.txnId, otp_code: req.otp_code }, e.signer(record));
    e.dropSecret('login');
    const loginMs = round(txn.loginMs + r.elapsedMs);
    if (r.value.login_state === 'ok') {
      e.holdSecret('access', {
        accessToken: r.value.access_token,
        grant: r.value.bootstrap_grant,
        expiresAtMs: Date.parse(r.value.expires_at),
      });
      e.setState('enrolled', { otp_expires_at: null, last_error: null, timings: { login_ms: loginMs } });
      e.log.event('auth.otp_verify', 'ok', { next: 'connect', trace: r.traceId });
      return { v: LOCAL_API_VERSION, state: 'enrolled', password_change_required: false };
    }
    e.holdSecret('password', {
      token: r.value.password_token,
      expiresAtMs: Date.parse(r.value.password_token_expires_at),
    });
    e.setState('enrolled', { otp_expires_at: null, last_error: null });
    e.log.event('auth.otp_verify', 'ok', { next: 'password_change', trace: r.traceId });
    return { v: LOCAL_API_VERSION, state: 'enrolled', password_change_required: true };
  } catch (err) {
    e.log.event('auth.otp_verify', 'failed', { code: codeOf(err) });
    if (err instanceof ViworksError && RETRYABLE_OTP.has(err.code)) throw e.fail(err, 'otp_pending');
    e.wipeSecrets();
    await noteDeviceStatus(e, err);
    throw e.fail(err);
  }
}

export async function changePassword(
  e: EngineContext,
  req: PasswordReq,
): Promise<{ v: typeof LOCAL_API_VERSION; state: 'enrolled' | 'idle' }> {
  const token = e.secret('password');
  if (!token) {
    throw new ViworksError('VIW_E_STATE', { details: ['no password change is pending: log in first'] });
  }
  const record = e.requireRecord();
  // The backend checks again; checking here first keeps the one-time token for a better try.
  const codePoints = utf8CodePoints(req.new_password.bytes);
  const problems = newPasswordProblemsOfCodePoints(record.username, codePoints, false);
  codePoints.fill(0);
  if (problems.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: problems });
  try {
    await e
      .backend(record)
      .changePassword({ password_token: token.token, new_password: req.new_password }, e.signer(record));
  } catch (err) {
    e.log.event('auth.password_change', 'failed', { code: codeOf(err) });
    if (err instanceof ViworksError && err.code === 'VIW_E_VALIDATION') throw err;
    e.wipeSecrets();
    throw e.fail(err);
  }
  e.wipeSecrets();
  e.setState('enrolled', { last_error: null });
  e.log.event('auth.password_change', 'ok', { next: 'login' });
  return { v: LOCAL_API_VERSION, state: 'enrolled' };
}

/** Keeps the device record in step with what the backend says about this device. */
async function noteDeviceStatus(e: EngineContext, err: unknown): Promise<void> {
  const record = e.currentRecord();
  if (!record || !(err instanceof ViworksError)) return;
  const status =
    err.code === 'VIW_E_DEVICE_PENDING'
      ? 'pending_approval'
      : err.code === 'VIW_E_DEVICE_REVOKED' || err.code === 'VIW_E_DEVICE_UNKNOWN'
        ? 'revoked'
        : null;
  if (status && status !== record.status) {
    await e.saveRecord({ ...record, status });
    e.log.event('device.status', 'ok', { status });
  }
}
