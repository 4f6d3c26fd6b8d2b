// The desktop's session API (server/routes/client.ts). Every call carries
// `Authorization: Bearer <access_token>` from POST /auth/verify.
//   GET  /client/bootstrap   + header `viworks-bootstrap-grant: <grant>` (one-time)
//   POST /client/heartbeat   SessionRequest → HeartbeatResponse | VIW_E_SESSION_REVOKED (410)
//   POST /client/disconnect  SessionRequest → DisconnectResponse
//   GET  /client/events?session_id=…  text/event-stream: `state` (SessionState) then `revoked` (RevokedEvent)
// Session and device ids on this API and inside the bootstrap are wire ids (`s-…`, `d-…`,
// core/bootstrap/wire-ids.ts): the device opens the envelope with expectedDeviceId = toWireId('d', its UUID).
import { type Static, Type } from 'typebox';
import { wireIdPattern } from '../bootstrap/wire-ids.js';
import { EnvelopeSchema } from '../crypto/envelope-format.js';
import { closed, IsoTime } from './common.js';

export const BOOTSTRAP_GRANT_HEADER = 'viworks-bootstrap-grant';

export const WireSessionId = Type.String({ minLength: 34, maxLength: 34, pattern: wireIdPattern('s') });

export const BootstrapResponseSchema = Type.Object(
  {
    envelope: EnvelopeSchema,
    session_id: WireSessionId,
    /** When the session ends (the envelope's own, shorter expiry is in envelope.aad.exp). */
    expires_at: IsoTime,
  },
  closed,
);
export type BootstrapResponse = Static<typeof BootstrapResponseSchema>;

export const SessionRequestSchema = Type.Object({ session_id: WireSessionId }, closed);
export type SessionRequest = Static<typeof SessionRequestSchema>;

export const HeartbeatResponseSchema = Type.Object(
  {
    status: Type.Literal('active'),
    idle_timeout_s: Type.Integer({ minimum: 1 }),
    heartbeat_s: Type.Integer({ minimum: 1 }),
    expires_at: IsoTime,
  },
  closed,
);
export type HeartbeatResponse = Static<typeof HeartbeatResponseSchema>;

export const DisconnectResponseSchema = Type.Object(
  { status: Type.Literal('ended'), end_reason: Type.String({ maxLength: 32 }) },
  closed,
);
export type DisconnectResponse = Static<typeof DisconnectResponseSchema>;

export const SessionStateSchema = Type.Object(
  {
    session_id: WireSessionId,
    status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
    end_reason: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    expires_at: IsoTime,
    idle_timeout_s: Type.Integer({ minimum: 1 }),
    heartbeat_s: Type.Integer({ minimum: 1 }),
  },
  closed,
);
export type SessionState = Static<typeof SessionStateSchema>;

export const RevokedEventSchema = Type.Object(
  {
    session_id: WireSessionId,
    reason: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    at: IsoTime,
  },
  closed,
);
export type RevokedEvent = Static<typeof RevokedEventSchema>;
