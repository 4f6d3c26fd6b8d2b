import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const SPKI = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=';
const mismatch = (device: string, msg: string): AuditFacts => ({
  component: 'client',
  action: 'client.pin_mismatch',
  result: 'failure',
  severity: 'error',
  device_id: device,
  src_ip: '192.0.2.10',
  dst_ip: '203.0.113.80',
  error_msg: msg,
});

describe('rule pin_mismatch', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('at the gateway it is critical (possible interception); at the backend an error', async () => {
    h = harness();
    await h.emit(
      mismatch('dev-1', `gateway: presented spki sha256 ${SPKI}`),
      mismatch('dev-2', `backend: presented spki sha256 ${SPKI}`),
    );
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.rule, a.key, a.fields.reason, a.severity]),
      [
        ['pin_mismatch', 'dev-1', 'gateway', 'critical'],
        ['pin_mismatch', 'dev-2', 'backend', 'error'],
      ],
    );
  });

  it('a report that does not say the endpoint counts as the gateway', async () => {
    h = harness();
    await h.emit(mismatch('dev-1', 'certificate not trusted'));
    assert.equal(h.sink.alerts[0]?.severity, 'critical');
  });

  it('a backend mismatch does not suppress a gateway mismatch of the same device; repeats are suppressed', async () => {
    h = harness();
    await h.emit(
      mismatch('dev-1', 'backend: certificate not trusted (no pin checked)'),
      mismatch('dev-1', `gateway: presented spki sha256 ${SPKI}`),
      mismatch('dev-1', `gateway: presented spki sha256 ${SPKI}`),
    );
    assert.deepEqual(
      h.sink.alerts.map((a) => a.severity),
      ['error', 'critical'],
    );
  });
});
