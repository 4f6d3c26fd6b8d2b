// The connection state machine (state-machine.ts): the table is exactly the transitions the flows
// make (each listed below with the flow that makes it), every one of them is accepted by a real
// Engine's setState, and a transition outside the table is refused — state unchanged, nothing
// pushed to watchers, an error line in the daemon log naming both states.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTION_STATES, type ConnectionState } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type DaemonFixture, startDaemonFixture } from '../testing/daemon-fixture.js';
import type { Engine } from './engine.js';
import { canTransition, TRANSITIONS } from './state-machine.js';

/** Every allowed transition and the code that makes it. */
const ALLOWED: ReadonlyArray<readonly [ConnectionState, ConnectionState, string]> = [
  ['idle', 'idle', 'disconnect or a secret expiring without a device record; start without one'],
  ['idle', 'enrolled', 'start with a device record; enrollment with a token'],
  ['idle', 'otp_pending', 'enrollment without a token waits for the phone code'],
  ['idle', 'error', 'enrollment failed'],
  ['enrolled', 'enrolled', 'code accepted again, password changed, disconnect while enrolled'],
  ['enrolled', 'logging_in', 'login'],
  ['enrolled', 'otp_pending', 're-enrolling a revoked device; a login finishing after a disconnect'],
  ['enrolled', 'error', 'login, code, password change or re-enrollment failed'],
  ['enrolled', 'bootstrapping', 'connect'],
  ['logging_in', 'otp_pending', 'login accepted: the phone shows a code'],
  ['logging_in', 'enrolled', 'disconnect while the login waits for the backend'],
  ['logging_in', 'error', 'login failed'],
  ['otp_pending', 'otp_pending', 'a wrong code, typed again; enrolling again'],
  ['otp_pending', 'enrolled', 'code accepted; disconnect or expiry with a device record'],
  ['otp_pending', 'idle', 'disconnect or expiry of a pending enrollment'],
  ['otp_pending', 'logging_in', 'login again while a code is pending'],
  ['otp_pending', 'error', 'code refused'],
  ['error', 'error', 'another failure (enrollment retried)'],
  ['error', 'idle', 'disconnect or expiry without a device record'],
  ['error', 'enrolled', 'disconnect or expiry with a device record; enrollment with a token'],
  ['error', 'logging_in', 'login after a failure'],
  ['error', 'otp_pending', 'enrollment without a token after a failure'],
  ['bootstrapping', 'preflight', 'bootstrap opened'],
  ['bootstrapping', 'disconnecting', 'teardown'],
  ['preflight', 'spa', 'checks passed: knock'],
  ['preflight', 'disconnecting', 'teardown'],
  ['spa', 'spa', 'a transient knock failure, tried afresh'],
  ['spa', 'tls', 'knock sent: the TLS proxy'],
  ['spa', 'disconnecting', 'teardown'],
  ['tls', 'openvpn', 'proxy up: OpenVPN'],
  ['tls', 'spa', 'the door was closed: knock again; a transient failure, tried afresh'],
  ['tls', 'disconnecting', 'teardown'],
  ['openvpn', 'connected', 'OpenVPN up'],
  ['openvpn', 'spa', 'OpenVPN failed transiently: a fresh attempt'],
  ['openvpn', 'disconnecting', 'teardown'],
  ['connected', 'spa', 'the tunnel dropped: restart'],
  ['connected', 'disconnecting', 'teardown (disconnect, revocation, idle, failure, shutdown)'],
  ['disconnecting', 'enrolled', 'session ended'],
  ['disconnecting', 'idle', 'session ended, resting without a device record'],
  ['disconnecting', 'error', 'session ended with an error'],
];

const FORBIDDEN: ReadonlyArray<readonly [ConnectionState, ConnectionState]> = [
  ['enrolled', 'connected'],
  ['idle', 'tls'],
  ['idle', 'bootstrapping'],
  ['idle', 'logging_in'],
  ['error', 'bootstrapping'],
  ['otp_pending', 'bootstrapping'],
  ['bootstrapping', 'connected'],
  ['preflight', 'openvpn'],
  ['connected', 'enrolled'],
  ['connected', 'connected'],
  ['disconnecting', 'connected'],
  ['disconnecting', 'disconnecting'],
  ['logging_in', 'logging_in'],
];

/** A shortest legal path from `from` to `to` (the table is strongly connected). */
function path(from: ConnectionState, to: ConnectionState): ConnectionState[] {
  const prev = new Map<ConnectionState, ConnectionState>();
  const queue: ConnectionState[] = [from];
  const seen = new Set<ConnectionState>([from]);
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (at === to) break;
    for (const next of TRANSITIONS[at]) {
      if (seen.has(next)) continue;
      seen.add(next);
      prev.set(next, at);
      queue.push(next);
    }
  }
  assert.ok(from === to || prev.has(to), `${to} unreachable from ${from}`);
  const steps: ConnectionState[] = [];
  for (let at = to; at !== from; at = prev.get(at)!) steps.unshift(at);
  return steps;
}

/** Moves a real engine to `state` through legal transitions only. */
function moveTo(engine: Engine, state: ConnectionState): void {
  for (const step of path(engine.getStatus().state, state)) engine.setState(step);
  assert.equal(engine.getStatus().state, state);
}

const key = (from: ConnectionState, to: ConnectionState) => `${from} → ${to}`;

describe('state machine: the table', () => {
  it('is exactly the listed transitions, over every connection state', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...CONNECTION_STATES].sort());
    const table = Object.entries(TRANSITIONS).flatMap(([from, tos]) =>
      tos.map((to) => key(from as ConnectionState, to)),
    );
    assert.deepEqual(table.sort(), ALLOWED.map(([from, to]) => key(from, to)).sort());
  });

  it('lists each transition once', () => {
    for (const [from, tos] of Object.entries(TRANSITIONS)) assert.equal(new Set(tos).size, tos.length, from);
  });

  for (const [from, to] of FORBIDDEN) {
    it(`forbids ${key(from, to)}`, () => assert.equal(canTransition(from, to), false));
  }
});

describe('state machine: a real engine', () => {
  let d: DaemonFixture;
  before(async () => {
    d = await startDaemonFixture();
  });
  after(() => d?.stop());

  for (const [from, to, why] of ALLOWED) {
    it(`accepts ${key(from, to)} (${why})`, () => {
      const engine = d.daemon.engine;
      moveTo(engine, from);
      engine.setState(to, { last_error: null });
      assert.equal(engine.getStatus().state, to);
    });
  }

  for (const [from, to] of FORBIDDEN) {
    it(`refuses ${key(from, to)}: state unchanged, an error logged`, () => {
      const engine = d.daemon.engine;
      moveTo(engine, from);
      const before = engine.getStatus();
      assert.throws(
        () => engine.setState(to),
        (e) =>
          isViworksError(e, 'VIW_E_INTERNAL') && e.details[0] === `illegal state transition ${from} → ${to}`,
      );
      assert.equal(engine.getStatus(), before, 'the Status is not replaced');
      const line = d.daemon.log.tail().at(-1);
      assert.equal(line?.level, 'error');
      assert.equal(line?.msg, `illegal state transition ${from} → ${to} refused`);
    });
  }

  it('an illegal transition on the running daemon is refused and logged; watchers see nothing and the daemon goes on', async () => {
    const engine = d.daemon.engine;
    moveTo(engine, 'idle'); // not enrolled: the fixture's daemon has no device record
    const logged = d.logText().length;
    const pushed: string[] = [];
    const unsubscribe = engine.status.subscribe((s) => pushed.push(s.state));
    try {
      assert.throws(
        () => engine.setState('tls'),
        (e) => isViworksError(e, 'VIW_E_INTERNAL'),
      );
      assert.deepEqual(pushed, [], 'no Status pushed');
      assert.equal((await d.client.status()).state, 'idle');
      const refused = d
        .logText()
        .slice(logged)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; state: string | null })
        .filter((l) => l.msg === 'illegal state transition idle → tls refused');
      assert.deepEqual(refused, [{ ...refused[0], level: 'error', state: 'idle' }]);
      // The daemon still works: a disconnect (no session) settles the resting state as usual.
      assert.equal((await d.client.disconnect()).state, 'idle');
      assert.deepEqual(pushed, ['idle']);
    } finally {
      unsubscribe();
    }
  });
});
