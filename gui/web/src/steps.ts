// The connect steps the specification names (desktop client §5.5), in order, and which of them a
// window has seen: Login OK → OTP verified → Bootstrap received → SPA sent → TLS ok → OVPN up.
import type { ConnectionState } from '../../../core/api/local.js';

export const STEPS = [
  'Login OK',
  'OTP verified',
  'Bootstrap received',
  'SPA sent',
  'TLS ok',
  'OVPN up',
] as const;
export type Step = (typeof STEPS)[number];

/** The step a state proves done: reaching `spa` means the bootstrap was received, and so on. */
const DONE_BY_STATE: Partial<Record<ConnectionState, number>> = {
  otp_pending: 0,
  bootstrapping: 1,
  preflight: 2,
  spa: 2,
  tls: 3,
  openvpn: 4,
  connected: 5,
};

export class StepTracker {
  private done = -1;

  /** Marks everything up to the step `state` proves; returns how many steps are done. */
  see(state: ConnectionState): number {
    const d = DONE_BY_STATE[state];
    if (d !== undefined && d > this.done) this.done = d;
    if (state === 'enrolled' || state === 'idle') this.done = -1;
    return this.done + 1;
  }

  /** A login or a code accepted by the daemon (before the state shows it). */
  mark(step: 'Login OK' | 'OTP verified'): void {
    this.done = Math.max(this.done, STEPS.indexOf(step));
  }

  get count(): number {
    return this.done + 1;
  }
}
