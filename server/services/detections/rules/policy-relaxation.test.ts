import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness, userPseudonym } from '../testing/harness.js';

const CHANGE = '01938f2e-7c4d-7a10-8b2e-1f2a3b4c5d6e';
const step = (s: string, result: 'success' | 'denied' = 'success', change = CHANGE): AuditFacts => ({
  component: 'admin',
  action: `policy.relaxation_${s}`,
  result,
  severity: 'warning',
  user_id: userPseudonym(9),
  policy_id: 'p-abc@3',
  error_msg: `change ${change}: enable split tunnel for group eng`,
});

describe('rule policy_relaxation', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('a request and its approval each raise a critical alert keyed by the change', async () => {
    h = harness();
    await h.emit(step('requested'), step('approved'));
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.key, a.severity, a.fields.reason, a.fields.change_id]),
      [
        [CHANGE, 'critical', 'requested', CHANGE],
        [CHANGE, 'critical', 'approved', CHANGE],
      ],
    );
    assert.equal(h.sink.alerts[0]?.context?.policy_id, 'p-abc@3');
    assert.match(h.sink.alerts[0]?.summary ?? '', /^Policy relaxation requested on p-abc@3: change /);
  });

  it('every relaxation alerts, even the same change requested again at once', async () => {
    h = harness();
    await h.emit(step('requested'), step('requested'), step('requested', 'success', 'not-a-change-id'));
    assert.equal(h.sink.alerts.length, 3);
    assert.equal(h.sink.alerts[2]?.key, '-');
  });

  it('the same event delivered twice alerts once', async () => {
    h = harness();
    const [r] = await h.emit(step('requested'));
    assert.ok(r);
    h.audit.deliver(r);
    await h.engine.idle();
    // Another engine on the same KV that is handed the same record does not alert either.
    const twin = harness({ kv: h.kv, clock: h.clock });
    twin.audit.deliver(r);
    await twin.engine.idle();
    await twin.stop();
    assert.equal(h.sink.alerts.length + twin.sink.alerts.length, 1);
  });

  it('near miss: a refused approval, a rejected or expired change do not alert', async () => {
    h = harness();
    await h.emit(step('approved', 'denied'), step('rejected'), step('expired'), step('requested', 'denied'));
    assert.equal(h.sink.alerts.length, 0);
  });
});
