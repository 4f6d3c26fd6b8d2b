import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { statusOf } from '../testing/fake-client.js';
import { ConnectScreen } from './ConnectScreen.js';

afterEach(cleanup);

it('ConnectScreen: the current step in words and the step list', () => {
  const s = statusOf('tls', {
    timings: { ...statusOf('tls').timings, login_ms: 1, bootstrap_ms: 2, spa_ms: 3 },
  });
  const { lastFrame } = render(<ConnectScreen status={s} />);
  const f = lastFrame() ?? '';
  assert.match(f, /^Connecting/);
  assert.match(f, /SPA sent\. TLS to the gateway \(pinned\)…/);
  assert.match(f, /✔ SPA sent\n▸ TLS ok\n· OVPN up/);
});

it('ConnectScreen: titled Preflight while the daemon runs its checks', () => {
  const { lastFrame } = render(<ConnectScreen status={statusOf('preflight')} />);
  assert.match(lastFrame() ?? '', /^Preflight checks/);
});
