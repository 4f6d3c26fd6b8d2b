// Which connection state may follow which. The states are the wire values of core/api/local.ts;
// Engine.setState checks every change against TRANSITIONS, and one not listed is a bug in the
// daemon: logged with both states and refused. Setting the same state again (new fields, a retry)
// is listed where a flow does it. The table is what the flows do:
//   enroll.ts      idle|enrolled|otp_pending|error → otp_pending (code to confirm) | enrolled | error
//   login.ts       enrolled|otp_pending|error → logging_in → otp_pending → enrolled (access held,
//                  or a password change pending) | error; a wrong code keeps otp_pending
//   connect.ts     enrolled → bootstrapping → preflight → spa → tls → openvpn → connected
//   tunnel.ts      tls → spa: the door was closed, knock again
//   restart.ts     spa|tls|openvpn → spa: a transient failure, a fresh attempt; connected → spa: the
//                  tunnel dropped and is brought up afresh
//   disconnect.ts  every connect state → disconnecting → enrolled|idle (resting) | error; without a
//                  session, POST /v1/disconnect (and a secret's expiry, engine.ts) returns any
//                  login or enrollment state to the resting one
// POST /v1/disconnect is not exclusive, so it can land while a login or enrollment waits for the
// backend; that flow then finishes from the resting state (enrolled → otp_pending, idle → enrolled
// …): those pairs are listed too.
import type { ConnectionState } from '../../core/api/local.js';

export const TRANSITIONS: { readonly [S in ConnectionState]: readonly ConnectionState[] } = {
  idle: ['idle', 'enrolled', 'otp_pending', 'error'],
  enrolled: ['enrolled', 'logging_in', 'otp_pending', 'error', 'bootstrapping'],
  logging_in: ['otp_pending', 'enrolled', 'error'],
  otp_pending: ['otp_pending', 'enrolled', 'idle', 'logging_in', 'error'],
  error: ['error', 'idle', 'enrolled', 'logging_in', 'otp_pending'],
  bootstrapping: ['preflight', 'disconnecting'],
  preflight: ['spa', 'disconnecting'],
  spa: ['spa', 'tls', 'disconnecting'],
  tls: ['openvpn', 'spa', 'disconnecting'],
  openvpn: ['connected', 'spa', 'disconnecting'],
  connected: ['spa', 'disconnecting'],
  disconnecting: ['enrolled', 'idle', 'error'],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return TRANSITIONS[from].includes(to);
}
