// The typed client of the backend's device, desktop and phone routes (core/api/backend-routes.ts):
// one method per route, every reply checked against the route's schema before the caller sees it.
// Transport-agnostic: the daemon and the phone simulator hand it a PinnedTransport, the phone app a
// FetchTransport. Signing is a callback, so no private key ever enters here. A password or code may
// be passed as a SecretText (core/secrets): it is sent from its bytes, never made a string.

import type {
  LoginRequest,
  LoginResponse,
  PasswordChangeRequest,
  VerifyReply,
  VerifyRequest,
} from '../api/auth.js';
import { BACKEND_ROUTES as R } from '../api/backend-routes.js';
import { BOOTSTRAP_GRANT_HEADER, type BootstrapResponse, type HeartbeatResponse } from '../api/client.js';
import type {
  EnrollConfirmRequest,
  EnrolledDevice,
  EnrollOtpRequired,
  EnrollRequest,
} from '../api/device.js';
import type {
  DeviceEventReport,
  DeviceSecurityEvent,
  DeviceSecurityEventAccepted,
} from '../api/device-events.js';
import type {
  BindOptionsRequest,
  BindOptionsResponse,
  BindRequest,
  BindResponse,
  PendingOtp,
  RevealRequest,
  RevealResponse,
} from '../api/mobile.js';
import { OTP_MAX_WAIT_S } from '../api/mobile.js';
import type { WithSecretText } from '../secrets/secret-text.js';
import { type Called, callRoute, openRoute, type Signer } from './call.js';
import type { OpenStream, Transport } from './transport.js';

export type { Signer } from './call.js';

export type EnrollOutcome =
  | { readonly kind: 'enrolled'; readonly device: EnrolledDevice }
  | { readonly kind: 'otp_required'; readonly pending: EnrollOtpRequired };

/** A reply with what the caller measures: round trip, the server's clock and its trace id. */
export interface Timed<T> {
  readonly value: T;
  readonly elapsedMs: number;
  readonly serverDateMs: number | null;
  readonly traceId: string | null;
}

const timed = <T>(c: Called<T>): Timed<T> => ({
  value: c.value,
  elapsedMs: c.reply.elapsedMs,
  serverDateMs: c.reply.serverDateMs,
  traceId: c.reply.traceId,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export class BackendClient {
  constructor(private readonly transport: Transport) {}

  get url(): string {
    return this.transport.origin;
  }

  /** GET /health: reachability, round-trip time and the server's clock. */
  async health(timeoutMs = 5000): Promise<Timed<{ version: string }>> {
    return timed(await callRoute(this.transport, R.health, { timeoutMs }));
  }

  // ── Desktop enrollment: signed by the new key (key id = fingerprint) ─────────────────────────
  async enroll(
    body: WithSecretText<EnrollRequest, 'password' | 'enrollment_token'>,
    signer: Signer,
  ): Promise<EnrollOutcome> {
    const { value, reply } = await callRoute(this.transport, R.deviceEnroll, { json: body, signer });
    return reply.status === 202
      ? { kind: 'otp_required', pending: value as EnrollOtpRequired }
      : { kind: 'enrolled', device: value as EnrolledDevice };
  }

  async enrollConfirm(
    body: WithSecretText<EnrollConfirmRequest, 'otp_code'>,
    signer: Signer,
  ): Promise<EnrolledDevice> {
    return (await callRoute(this.transport, R.deviceEnrollConfirm, { json: body, signer })).value;
  }

  // ── Desktop login: signed by the enrolled device ─────────────────────────────────────────────
  async login(body: WithSecretText<LoginRequest, 'password'>, signer: Signer): Promise<Timed<LoginResponse>> {
    return timed(await callRoute(this.transport, R.authLogin, { json: body, signer }));
  }

  async verify(body: WithSecretText<VerifyRequest, 'otp_code'>, signer: Signer): Promise<Timed<VerifyReply>> {
    return timed(await callRoute(this.transport, R.authVerify, { json: body, signer }));
  }

  async changePassword(
    body: WithSecretText<PasswordChangeRequest, 'new_password'>,
    signer: Signer,
  ): Promise<void> {
    await callRoute(this.transport, R.authPassword, { json: body, signer });
  }

  // ── Security events the desktop detected: signed by the enrolled device ──────────────────────
  /** POST /device/events: one audit event on the backend (`client.<type>`); 202 once recorded. */
  async reportSecurityEvent(body: DeviceSecurityEvent, signer: Signer): Promise<DeviceSecurityEventAccepted> {
    return (await callRoute(this.transport, R.deviceSecurityEvent, { json: body, signer })).value;
  }

  /** The same with 1–16 reports: one is sent as itself, more as one batch (recorded all or none). */
  async reportDeviceEvents(
    reports: readonly DeviceEventReport[],
    signer: Signer,
  ): Promise<DeviceSecurityEventAccepted> {
    const [only] = reports;
    const body: DeviceSecurityEvent =
      reports.length === 1 && only ? only : { type: 'batch', events: [...reports] };
    return this.reportSecurityEvent(body, signer);
  }

  // ── The desktop's session: the access token from /auth/verify ────────────────────────────────
  async bootstrap(
    accessToken: string,
    grant: string,
    signal?: AbortSignal,
  ): Promise<Timed<BootstrapResponse>> {
    return timed(
      await callRoute(this.transport, R.clientBootstrap, {
        headers: { ...bearer(accessToken), [BOOTSTRAP_GRANT_HEADER]: grant },
        ...(signal ? { signal } : {}),
      }),
    );
  }

  async heartbeat(accessToken: string, sessionId: string): Promise<HeartbeatResponse> {
    const json = { session_id: sessionId };
    return (await callRoute(this.transport, R.clientHeartbeat, { json, headers: bearer(accessToken) })).value;
  }

  async disconnect(accessToken: string, sessionId: string, timeoutMs = 5000): Promise<void> {
    const json = { session_id: sessionId };
    await callRoute(this.transport, R.clientDisconnect, { json, headers: bearer(accessToken), timeoutMs });
  }

  /** GET /client/events: the open Server-Sent Events stream (read it with readSessionEvents). */
  events(accessToken: string, sessionId: string, signal: AbortSignal): Promise<OpenStream> {
    return openRoute(this.transport, R.clientEvents, {
      query: { session_id: sessionId },
      headers: { ...bearer(accessToken), accept: 'text/event-stream' },
      // Idle limit well above the server's 15 s keepalive: a silent stream is a dead one.
      timeoutMs: 45_000,
      signal,
    });
  }

  // ── The phone: signed by the phone key ───────────────────────────────────────────────────────
  /** The one-time challenge for binding this phone key with this code (signed by the new key). */
  async bindOptions(body: BindOptionsRequest, signer: Signer): Promise<BindOptionsResponse> {
    return (await callRoute(this.transport, R.mobileBindOptions, { json: body, signer })).value;
  }

  /** Binds the phone key to the user the code was issued for (key id = the key's fingerprint). */
  async bindPhone(body: BindRequest, signer: Signer): Promise<BindResponse> {
    return (await callRoute(this.transport, R.mobileBind, { json: body, signer })).value;
  }

  /** The pending challenge, or null; `waitS` > 0 long-polls (the server caps it at 25 s). */
  async pendingOtp(signer: Signer, waitS = 0): Promise<PendingOtp | null> {
    const wait = waitS > 0 ? String(Math.min(Math.floor(waitS), OTP_MAX_WAIT_S)) : undefined;
    const { value } = await callRoute(this.transport, R.mobileOtp, {
      query: { wait },
      signer,
      timeoutMs: (OTP_MAX_WAIT_S + 15) * 1000,
    });
    return value;
  }

  /** The pending code, after the proof the `reveal` challenge asks for (a user-verified assertion, …). */
  async revealOtp(body: RevealRequest, signer: Signer): Promise<RevealResponse> {
    return (await callRoute(this.transport, R.mobileOtpReveal, { json: body, signer })).value;
  }

  async denyOtp(txnId: string, signer: Signer): Promise<void> {
    await callRoute(this.transport, R.mobileOtpDeny, { json: { txn_id: txnId }, signer });
  }
}
