import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionState, Status } from '../api/local.js';
import { connectSteps, formatMs } from './steps.js';

const T0 = {
  login_ms: null,
  bootstrap_ms: null,
  spa_ms: null,
  tls_handshake_ms: null,
  openvpn_ms: null,
  total_connect_ms: null,
};
const s = (state: ConnectionState, timings: Partial<Status['timings']> = {}) =>
  ({ state, timings: { ...T0, ...timings } }) as Status;
const marks = (x: Status) => connectSteps(x).map((st) => `${st.id}:${st.mark}`);

describe('connectSteps', () => {
  it('at rest before any login: all pending', () => {
    assert.deepEqual(marks(s('enrolled')), [
      'login:pending',
      'otp:pending',
      'bootstrap:pending',
      'spa:pending',
      'tls:pending',
      'ovpn:pending',
    ]);
  });

  it('waiting for the code: login done, otp running', () => {
    assert.deepEqual(marks(s('otp_pending')).slice(0, 3), ['login:done', 'otp:running', 'bootstrap:pending']);
  });

  it('in TLS without a handshake timing yet: every earlier step done', () => {
    assert.deepEqual(marks(s('tls', { login_ms: 10, bootstrap_ms: 5 })), [
      'login:done',
      'otp:done',
      'bootstrap:done',
      'spa:done',
      'tls:running',
      'ovpn:pending',
    ]);
  });

  it('connected: all done, labels as in the spec', () => {
    const steps = connectSteps(s('connected', { login_ms: 1, bootstrap_ms: 2, spa_ms: 3 }));
    assert.ok(steps.every((st) => st.mark === 'done'));
    assert.deepEqual(
      steps.map((st) => st.label),
      ['Login OK', 'OTP verified', 'Bootstrap received', 'SPA sent', 'TLS ok', 'OVPN up'],
    );
  });

  it('a failure marks the first step that did not finish', () => {
    assert.deepEqual(marks(s('error', { login_ms: 1, bootstrap_ms: 2 })).slice(2, 5), [
      'bootstrap:done',
      'spa:failed',
      'tls:pending',
    ]);
  });

  it('formatMs', () => {
    assert.equal(formatMs(null), '-');
    assert.equal(formatMs(12.4), '12 ms');
  });
});
