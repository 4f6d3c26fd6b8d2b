import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { shownError } from '../errors.js';
import { NotRunningScreen } from './NotRunningScreen.js';

afterEach(cleanup);

it('NotRunningScreen: says the daemon is not running, how to start it, the socket and the code', () => {
  const { lastFrame } = render(
    <NotRunningScreen
      error={shownError(new ViworksError('VIW_E_DAEMON_UNAVAILABLE'))}
      socketPath="/run/x.sock"
    />,
  );
  const f = lastFrame() ?? '';
  assert.match(f, /The daemon is not running/);
  assert.match(f, /systemctl start viworksd/);
  assert.match(f, /Socket: \/run\/x\.sock/);
  assert.match(f, /Diagnostic code: VIW_E_DAEMON_UNAVAILABLE/);
});

it('NotRunningScreen: a permission problem is named as such', () => {
  const { lastFrame } = render(
    <NotRunningScreen
      error={shownError(new ViworksError('VIW_E_PERMISSION_DENIED'))}
      socketPath="/run/x.sock"
    />,
  );
  assert.match(lastFrame() ?? '', /No permission on the daemon socket/);
  assert.match(lastFrame() ?? '', /viworks group/);
});
