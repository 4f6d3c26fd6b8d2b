import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HealthResult } from '../../../core/gateway/control.js';
import { commandLine, stdinBytes } from './request.js';
import { policyInEffect, sessionFilterRequest } from './session-filter.js';

const SESSION = '0190c6e2-7b1d-7c3e-9a41-5f0e2d8c1b22';
const WIRE = 's-0190c6e27b1d7c3e9a415f0e2d8c1b22';
const POLICY = `p-${'d'.repeat(32)}`;
const EXPIRES = new Date('2031-01-01T00:00:00Z');

describe('sessionFilterRequest', () => {
  test('one command line, a canonical document (sorted, de-duplicated)', () => {
    const req = sessionFilterRequest({
      sessionId: SESSION,
      policyId: POLICY,
      policyVersion: 7,
      networks: ['192.168.50.0/24', '10.20.0.0/16', '10.3.0.0/16', '10.20.0.0/16'],
      expiresAt: EXPIRES,
    });
    assert.equal(commandLine(req), `session_filter ${WIRE}`);
    assert.deepEqual(JSON.parse(stdinBytes(req).toString('utf8')), {
      policy: { policy_id: POLICY, version: 7 },
      networks: ['10.3.0.0/16', '10.20.0.0/16', '192.168.50.0/24'],
      expires_at: Math.floor(EXPIRES.getTime() / 1000),
    });
    const open = sessionFilterRequest({
      sessionId: SESSION,
      policyId: 'p-default',
      policyVersion: 0,
      networks: 'unrestricted',
      expiresAt: EXPIRES,
    });
    assert.equal((open.stdin as { networks: unknown }).networks, 'unrestricted');
  });

  test('what the node would refuse by its schema is our internal error, before sending', () => {
    for (const bad of [{ policyId: 'default' }, { policyVersion: -1 }, { networks: ['10.0.0.0/8 '] }]) {
      assert.throws(
        () =>
          sessionFilterRequest({
            sessionId: SESSION,
            policyId: POLICY,
            policyVersion: 1,
            networks: [],
            expiresAt: EXPIRES,
            ...bad,
          }),
        (e: unknown) => (e as { code?: string }).code === 'VIW_E_INTERNAL',
        JSON.stringify(bad),
      );
    }
  });
});

describe('policyInEffect', () => {
  const health = (forwarding: HealthResult['forwarding']): HealthResult => ({
    version: '0.0.0',
    config_id: null,
    services: {
      fwknopd: { running: true, pid: 1 },
      stunnel: { running: true, pid: 2 },
      openvpn: { running: true, pid: 3 },
    },
    sessions: [],
    spa_keys: 0,
    ...(forwarding ? { forwarding } : {}),
  });
  const other = '0190c6e2-7b1d-7c3e-9a41-5f0e2d8c1b23';

  test('in effect only when every session carries its expected tag and the table is loaded', () => {
    const fwd = {
      table_loaded: true,
      sessions: [{ session: WIRE, address: '10.8.0.2', policy: { policy_id: POLICY, version: 7 } }],
    };
    const want = [{ sessionId: SESSION, policyId: POLICY, policyVersion: 7 }];
    assert.deepEqual(policyInEffect(health(fwd), want), { inEffect: true, tableLoaded: true, behind: [] });
    assert.deepEqual(policyInEffect(health({ ...fwd, table_loaded: false }), want), {
      inEffect: false,
      tableLoaded: false,
      behind: [],
    });
    const newer = [{ sessionId: SESSION, policyId: POLICY, policyVersion: 8 }];
    assert.deepEqual(policyInEffect(health(fwd), newer)?.behind, [SESSION]);
    const missing = [...want, { sessionId: other, policyId: POLICY, policyVersion: 7 }];
    assert.deepEqual(policyInEffect(health(fwd), missing)?.behind, [other]);
    assert.equal(policyInEffect(health(undefined), want), null);
  });
});
