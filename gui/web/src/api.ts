// The GUI server's API (gui/server/gui-server.ts): same-origin JSON calls (the session cookie goes
// along), errors as {code, message, hint}, and one event stream with the daemon's status and log.
import type { Static } from 'typebox';
import type {
  ActionResponseSchema,
  EnrollRequestSchema,
  EnrollResponseSchema,
  LoginResponseSchema,
  LogLineSchema,
  OtpResponseSchema,
  Status,
} from '../../../core/api/local.js';

type ActionResponse = Static<typeof ActionResponseSchema>;
export type EnrollRequest = Static<typeof EnrollRequestSchema>;
type EnrollResponse = Static<typeof EnrollResponseSchema>;
export type LogLine = Static<typeof LogLineSchema>;
type LoginResponse = Static<typeof LoginResponseSchema>;
type OtpResponse = Static<typeof OtpResponseSchema>;

export interface ApiError {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

export class GuiApiError extends Error {
  constructor(readonly body: ApiError) {
    super(body.message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin',
    redirect: 'error',
  });
  const json = (await res.json().catch(() => null)) as T | ApiError | null;
  if (!res.ok) {
    const e = (json ?? {}) as Partial<ApiError>;
    throw new GuiApiError({
      code: typeof e.code === 'string' ? e.code : 'VIW_E_INTERNAL',
      message: typeof e.message === 'string' ? e.message : `HTTP ${res.status}`,
      hint: typeof e.hint === 'string' ? e.hint : '',
    });
  }
  return json as T;
}

export const api = {
  status: () => call<Status>('GET', '/api/status'),
  connect: () => call<ActionResponse>('POST', '/api/connect', {}),
  disconnect: () => call<ActionResponse>('POST', '/api/disconnect', {}),
  login: (password: string) => call<LoginResponse>('POST', '/api/login', { password }),
  otp: (otp_code: string) => call<OtpResponse>('POST', '/api/otp', { otp_code }),
  password: (new_password: string) => call<ActionResponse>('POST', '/api/password', { new_password }),
  enroll: (req: EnrollRequest) => call<EnrollResponse>('POST', '/api/enroll', req),
  enrollConfirm: (otp_code: string) => call<EnrollResponse>('POST', '/api/enroll/confirm', { otp_code }),
};

export interface EventHandlers {
  status(s: Status): void;
  log(l: LogLine): void;
  /** The daemon stopped answering (or never did). */
  down(e: ApiError | null): void;
}

/** The window's one event stream; the browser reconnects it by itself after a drop. */
export function openEvents(on: EventHandlers): EventSource {
  const es = new EventSource('/api/events');
  es.addEventListener('status', (e) => on.status(JSON.parse((e as MessageEvent<string>).data) as Status));
  es.addEventListener('log', (e) => on.log(JSON.parse((e as MessageEvent<string>).data) as LogLine));
  es.addEventListener('daemon', (e) => on.down(JSON.parse((e as MessageEvent<string>).data) as ApiError));
  es.onerror = () => on.down(null);
  return es;
}
