import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const stale = (device: string): AuditFacts => ({
  component: 'client',
  action: 'client.pin_stale',
  result: 'success',
  severity: 'warning',
  device_id: device,
  src_ip: '192.0.2.10',
  error_msg: 'stale pin AAAA not published; pin roll 20.0 d ago (window 14.0 d)',
});

describe('rule pin_roll_stale', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('alerts once per device per day', async () => {
    h = harness();
    await h.emit(stale('dev-1'), stale('dev-1'), stale('dev-2'));
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.rule, a.key, a.severity]),
      [
        ['pin_roll_stale', 'dev-1', 'warning'],
        ['pin_roll_stale', 'dev-2', 'warning'],
      ],
    );
    assert.match(h.sink.alerts[0]?.summary ?? '', /still holds a retired pin: stale pin AAAA/);
    h.clock.advance(86_400_000);
    await h.emit(stale('dev-1'));
    assert.equal(h.sink.alerts.length, 3);
  });

  it('near miss: a login with current pins records no pin_stale, and spa_sent is not it', async () => {
    h = harness();
    await h.emit(
      { component: 'backend', action: 'auth.login', result: 'success', device_id: 'dev-1' },
      { component: 'client', action: 'client.spa_sent', result: 'success', device_id: 'dev-1' },
    );
    assert.equal(h.sink.alerts.length, 0);
  });
});
