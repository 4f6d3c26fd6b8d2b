// The connect steps every front-end shows (desktop-client spec §5.5: Login OK → OTP verified →
// Bootstrap received → SPA sent → TLS ok → OVPN up), derived from one Status alone: the state says
// which step is running, the timings say which steps finished (the daemon sets each when its step
// ends), so a front-end that starts mid-connect shows the same list as one that watched it all.
import type { ConnectionState, Status } from '../api/local.js';

export const CONNECT_STEP_IDS = ['login', 'otp', 'bootstrap', 'spa', 'tls', 'ovpn'] as const;
export type ConnectStepId = (typeof CONNECT_STEP_IDS)[number];

/** The label of each step once done (the spec's words). */
export const CONNECT_STEP_LABELS: Record<ConnectStepId, string> = {
  login: 'Login OK',
  otp: 'OTP verified',
  bootstrap: 'Bootstrap received',
  spa: 'SPA sent',
  tls: 'TLS ok',
  ovpn: 'OVPN up',
};

/** What entering each connect state means for the user (docs/architecture.md#connect-status-steps). */
export const CONNECT_PROGRESS: Partial<Record<ConnectionState, string>> = {
  bootstrapping: 'Fetching the sealed bootstrap…',
  preflight: 'Bootstrap received. Preflight checks…',
  spa: 'Preflight OK. Sending SPA…',
  tls: 'SPA sent. TLS to the gateway (pinned)…',
  openvpn: 'TLS OK. Starting OpenVPN…',
};

export type StepMark = 'done' | 'running' | 'failed' | 'pending';
export interface ConnectStep {
  readonly id: ConnectStepId;
  readonly label: string;
  readonly mark: StepMark;
}

/** The step a state is working on (null: none — resting, connected, disconnecting). */
const RUNNING: Partial<Record<ConnectionState, ConnectStepId>> = {
  logging_in: 'login',
  otp_pending: 'otp',
  bootstrapping: 'bootstrap',
  preflight: 'spa',
  spa: 'spa',
  tls: 'tls',
  openvpn: 'ovpn',
};

/** The six steps with their marks for this Status. */
export function connectSteps(s: Status): ConnectStep[] {
  const t = s.timings;
  const finished: Record<ConnectStepId, boolean> = {
    login: s.state === 'otp_pending' || t.login_ms !== null,
    otp: t.login_ms !== null,
    bootstrap: t.bootstrap_ms !== null,
    spa: t.spa_ms !== null,
    tls: t.tls_handshake_ms !== null,
    ovpn: s.state === 'connected' || t.openvpn_ms !== null,
  };
  const running = RUNNING[s.state];
  // Steps are ordered: one running or finished means every earlier one finished (a timing may be
  // absent, e.g. a TLS handshake the proxy could not time).
  const reached = CONNECT_STEP_IDS.reduce((last, id, i) => (finished[id] || id === running ? i : last), -1);
  CONNECT_STEP_IDS.forEach((id, i) => {
    if (i < reached) finished[id] = true;
  });
  // A failure belongs to the first step that did not finish.
  const failed = s.state === 'error' ? CONNECT_STEP_IDS.find((id) => !finished[id]) : undefined;
  return CONNECT_STEP_IDS.map((id) => ({
    id,
    label: CONNECT_STEP_LABELS[id],
    mark: finished[id] ? 'done' : id === running ? 'running' : id === failed ? 'failed' : 'pending',
  }));
}

/** "1234 ms", or "-" when the step has not been timed. */
export const formatMs = (v: number | null): string => (v === null ? '-' : `${Math.round(v)} ms`);
