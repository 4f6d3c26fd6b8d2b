import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { statusOf } from '../testing/fake-client.js';
import { ago, formatBytes, TrafficPane } from './TrafficPane.js';

afterEach(cleanup);

it('TrafficPane: bytes in and out, last activity, and every timing', () => {
  const t = {
    ...statusOf('connected').timings,
    login_ms: 210,
    bootstrap_ms: 80,
    spa_ms: 3,
    total_connect_ms: 950,
  };
  const now = Date.parse('2026-01-01T00:01:00.000Z');
  const { lastFrame } = render(
    <TrafficPane
      traffic={{ bytes_in: 1536, bytes_out: 2 * 1024 * 1024, last_activity_at: '2026-01-01T00:00:48.000Z' }}
      timings={t}
      now={now}
    />,
  );
  const f = (lastFrame() ?? '').replaceAll('\n', ' ');
  assert.match(f, /↓ 1\.5 KiB in · ↑ 2\.0 MiB out · last\s+activity 12 s ago/);
  assert.match(f, /login 210 ms · bootstrap 80 ms · SPA 3 ms/);
  assert.match(f, /TLS - /);
  assert.match(f, /total\s+950 ms/);
});

it('TrafficPane: no traffic yet', () => {
  const { lastFrame } = render(
    <TrafficPane traffic={null} timings={statusOf('connected').timings} now={0} />,
  );
  assert.match(lastFrame() ?? '', /Traffic: none yet/);
  assert.equal(formatBytes(512), '512 B');
  assert.equal(ago('2026-01-01T00:00:00Z', Date.parse('2026-01-01T02:00:00Z')), '2 h ago');
});
