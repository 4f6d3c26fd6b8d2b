// The typed backend API the daemon uses (core/api/{device,auth,client}.ts), over PinnedHttps.
// Request bodies are the wire contracts; every 2xx reply is validated against its schema before
// the engine sees it, so the engine only ever handles well-formed values.
import type { IncomingMessage } from 'node:http';
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import {
  type LoginRequest,
  type LoginResponse,
  LoginResponseSchema,
  type PasswordChangeRequest,
  PasswordChangeResponseSchema,
  type VerifyReply,
  VerifyReplySchema,
  type VerifyRequest,
} from '../../core/api/auth.js';
import {
  BOOTSTRAP_GRANT_HEADER,
  type BootstrapResponse,
  BootstrapResponseSchema,
  DisconnectResponseSchema,
  type HeartbeatResponse,
  HeartbeatResponseSchema,
} from '../../core/api/client.js';
import {
  type EnrollConfirmRequest,
  type EnrolledDevice,
  EnrolledDeviceSchema,
  type EnrollOtpRequired,
  EnrollOtpRequiredSchema,
  type EnrollRequest,
} from '../../core/api/device.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { strictValidator } from '../../core/schema/strict.js';
import { type BackendReply, type BackendTarget, PinnedHttps, type Signer } from './https.js';

const HealthSchema = Type.Object({ status: Type.Literal('ok'), version: Type.String({ maxLength: 64 }) });

const validators = new Map<TSchema, ReturnType<typeof strictValidator>>();
function expect<T>(schema: TSchema, reply: BackendReply, what: string): T {
  let v = validators.get(schema);
  if (!v) {
    v = strictValidator(schema);
    validators.set(schema, v);
  }
  if (v.check(reply.body)) return reply.body as T;
  throw new ViworksError('VIW_E_INTERNAL', { details: [`backend reply to ${what}: unexpected shape`] });
}

export type EnrollOutcome =
  | { readonly kind: 'enrolled'; readonly device: EnrolledDevice }
  | { readonly kind: 'otp_required'; readonly pending: EnrollOtpRequired };

export interface Timed<T> {
  readonly value: T;
  readonly elapsedMs: number;
  readonly serverDateMs: number | null;
  readonly traceId: string;
}

export class BackendClient {
  private readonly http: PinnedHttps;

  constructor(target: BackendTarget) {
    this.http = new PinnedHttps(target);
  }

  get url(): string {
    return this.http.url;
  }

  /** GET /health: reachability, round-trip time and the server's clock. */
  async health(timeoutMs = 5000): Promise<Timed<{ version: string }>> {
    const r = await this.http.send('GET', '/health', { timeoutMs });
    return timed(r, expect<{ version: string }>(HealthSchema, r, 'health'));
  }

  /** POST /device/enroll, signed by the new key (key id = fingerprint). */
  async enroll(body: EnrollRequest, signer: Signer): Promise<EnrollOutcome> {
    const r = await this.http.send('POST', '/device/enroll', { json: body, signer });
    if (r.status === 202) {
      return { kind: 'otp_required', pending: expect(EnrollOtpRequiredSchema, r, 'enroll') };
    }
    return { kind: 'enrolled', device: expect(EnrolledDeviceSchema, r, 'enroll') };
  }

  async enrollConfirm(body: EnrollConfirmRequest, signer: Signer): Promise<EnrolledDevice> {
    const r = await this.http.send('POST', '/device/enroll/confirm', { json: body, signer });
    return expect(EnrolledDeviceSchema, r, 'enroll confirm');
  }

  async login(body: LoginRequest, signer: Signer): Promise<Timed<LoginResponse>> {
    const r = await this.http.send('POST', '/auth/login', { json: body, signer });
    return timed(r, expect(LoginResponseSchema, r, 'login'));
  }

  async verify(body: VerifyRequest, signer: Signer): Promise<Timed<VerifyReply>> {
    const r = await this.http.send('POST', '/auth/verify', { json: body, signer });
    return timed(r, expect(VerifyReplySchema, r, 'verify'));
  }

  async changePassword(body: PasswordChangeRequest, signer: Signer): Promise<void> {
    const r = await this.http.send('POST', '/auth/password', { json: body, signer });
    expect(PasswordChangeResponseSchema, r, 'password change');
  }

  async bootstrap(
    accessToken: string,
    grant: string,
    signal?: AbortSignal,
  ): Promise<Timed<BootstrapResponse>> {
    const r = await this.http.send('GET', '/client/bootstrap', {
      headers: { authorization: `Bearer ${accessToken}`, [BOOTSTRAP_GRANT_HEADER]: grant },
      ...(signal ? { signal } : {}),
    });
    return timed(r, expect(BootstrapResponseSchema, r, 'bootstrap'));
  }

  async heartbeat(accessToken: string, sessionId: string): Promise<HeartbeatResponse> {
    const r = await this.http.send('POST', '/client/heartbeat', {
      json: { session_id: sessionId },
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return expect(HeartbeatResponseSchema, r, 'heartbeat');
  }

  async disconnect(accessToken: string, sessionId: string, timeoutMs = 5000): Promise<void> {
    const r = await this.http.send('POST', '/client/disconnect', {
      json: { session_id: sessionId },
      headers: { authorization: `Bearer ${accessToken}` },
      timeoutMs,
    });
    expect(DisconnectResponseSchema, r, 'disconnect');
  }

  /** GET /client/events: the open Server-Sent Events stream (parse with events.ts). */
  events(accessToken: string, sessionId: string, signal: AbortSignal): Promise<IncomingMessage> {
    return this.http.stream(`/client/events?session_id=${encodeURIComponent(sessionId)}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
      // Idle limit well above the server's 15 s keepalive: a silent stream is a dead one.
      timeoutMs: 45_000,
      signal,
    });
  }
}

function timed<T>(r: BackendReply, value: T): Timed<T> {
  return { value, elapsedMs: r.elapsedMs, serverDateMs: r.serverDateMs, traceId: r.traceId };
}
