import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness, userPseudonym } from '../testing/harness.js';

const leak = (
  type: 'dns' | 'route',
  device: string,
  component: 'client' | 'daemon' = 'client',
): AuditFacts => ({
  component,
  action: `client.${type}_leak_detected`,
  result: 'failure',
  severity: 'warning',
  user_id: userPseudonym(3),
  device_id: device,
  session_id: 's-1',
  src_ip: '192.0.2.44',
  error_msg:
    type === 'dns' ? 'resolver_changed: resolver 192.0.2.53 on eth0' : 'traffic_route_outside_tunnel',
  gateway: 'gw-a',
});

describe('rule dns_leak', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('a DNS leak alerts per device once an hour; a route leak is its own alert', async () => {
    h = harness();
    await h.emit(leak('dns', 'dev-1'), leak('dns', 'dev-1'), leak('route', 'dev-1'), leak('dns', 'dev-2'));
    assert.deepEqual(
      h.sink.alerts.map((a) => [a.key, a.fields.reason]),
      [
        ['dev-1', 'dns_leak'],
        ['dev-1', 'route_leak'],
        ['dev-2', 'dns_leak'],
      ],
    );
    const [a] = h.sink.alerts;
    assert.equal(a?.severity, 'warning');
    assert.equal(a?.context?.session_id, 's-1');
    assert.match(a?.summary ?? '', /^Device dev-1 reported a DNS leak: resolver_changed/);
    h.clock.advance(3_600_000);
    await h.emit(leak('dns', 'dev-1'));
    assert.equal(h.sink.alerts.length, 4);
  });

  it('reports recorded under the older component daemon still count', async () => {
    h = harness();
    await h.emit(leak('dns', 'dev-1', 'daemon'));
    assert.equal(h.sink.alerts.length, 1);
  });

  it('near miss: other client reports (kill switch, hardening) do not alert here', async () => {
    h = harness();
    await h.emit(
      { component: 'client', action: 'client.kill_switch_failed', result: 'failure', device_id: 'dev-1' },
      { component: 'client', action: 'client.hardening_finding', result: 'failure', device_id: 'dev-1' },
      { component: 'backend', action: 'client.dns_leak_detected', result: 'failure', device_id: 'dev-1' },
    );
    assert.equal(h.sink.alerts.length, 0);
  });
});
