import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { statusOf } from '../testing/fake-client.js';
import { ConnectedScreen } from './ConnectedScreen.js';

afterEach(cleanup);

it('ConnectedScreen: gateway, tunnel address, traffic, timings and OVPN up', () => {
  const s = statusOf('connected', {
    session: {
      session_id: 's-1',
      gateway_fqdn: 'gw.viworks.internal',
      connected_at: '2026-01-01T00:00:00.000Z',
      expires_at: '2026-01-01T08:00:00.000Z',
      virtual_ip: '10.8.0.6',
      browser: null,
    },
    traffic: { bytes_in: 4096, bytes_out: 100, last_activity_at: '2026-01-01T00:00:55.000Z' },
    timings: {
      login_ms: 120,
      bootstrap_ms: 40,
      spa_ms: 2,
      tls_handshake_ms: 15,
      openvpn_ms: 300,
      total_connect_ms: 700,
    },
  });
  const { lastFrame } = render(<ConnectedScreen status={s} now={Date.parse('2026-01-01T00:01:00.000Z')} />);
  const f = lastFrame() ?? '';
  assert.match(f, /Connected via gw\.viworks\.internal/);
  assert.match(f, /Tunnel address: 10\.8\.0\.6/);
  assert.match(f, /↓ 4\.0 KiB in · ↑ 100 B out/);
  assert.match(f, /5 s ago/);
  assert.match(f, /OpenVPN 300 ms/);
  assert.match(f, /✔ OVPN up/);
});
