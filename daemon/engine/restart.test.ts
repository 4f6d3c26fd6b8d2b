// The restart policy's pure parts: the backoff schedule (~1 s, 2 s, 4 s plus bounded jitter) and
// which failures are worth a fresh attempt. The engine's use of them (real backend, fake
// components) is in connect.test.ts; with the real OpenVPN in data-path.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RESTART_POLICY, isRetryable, restartDelayMs } from './restart-policy.js';

describe('restart policy', () => {
  it('doubles from ~1 s, adding at most 25 % jitter', () => {
    const p = DEFAULT_RESTART_POLICY;
    assert.equal(p.retries, 3);
    assert.deepEqual(
      [1, 2, 3].map((n) => restartDelayMs(p, n, () => 0)),
      [1000, 2000, 4000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => restartDelayMs(p, n, () => 0.999999)),
      [1250, 2500, 5000],
    );
    // Two daemons that fail together do not retry in step.
    assert.notEqual(
      restartDelayMs(p, 1, () => 0.1),
      restartDelayMs(p, 1, () => 0.7),
    );
  });

  it('retries what may heal, never what cannot', () => {
    assert.equal(isRetryable({ code: 'VIW_E_OPENVPN_FAILED', retryable: true }), true);
    assert.equal(isRetryable({ code: 'VIW_E_OPENVPN_FAILED', retryable: false }), false);
    // The proxy's own verdict wins (a refused client certificate is refused again).
    assert.equal(isRetryable({ code: 'VIW_E_TLS_FAILED', retryable: false }), false);
    // Without a verdict: by code.
    assert.equal(isRetryable({ code: 'VIW_E_TLS_FAILED' }), true);
    assert.equal(isRetryable({ code: null }), true);
    for (const code of [
      'VIW_E_PIN_MISMATCH',
      'VIW_E_LEAK',
      'VIW_E_SESSION_REVOKED',
      'VIW_E_BOOTSTRAP_INVALID',
    ]) {
      assert.equal(isRetryable({ code }), false, code);
    }
  });
});
