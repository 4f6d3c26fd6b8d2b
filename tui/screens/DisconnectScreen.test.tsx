import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { shownError } from '../errors.js';
import { statusOf } from '../testing/fake-client.js';
import { DisconnectScreen } from './DisconnectScreen.js';

afterEach(cleanup);

it('DisconnectScreen: disconnecting', () => {
  const { lastFrame } = render(<DisconnectScreen status={statusOf('disconnecting')} error={null} />);
  assert.match(lastFrame() ?? '', /Disconnecting…/);
});

it('DisconnectScreen: at rest, press c', () => {
  const { lastFrame } = render(<DisconnectScreen status={statusOf('enrolled')} error={null} />);
  assert.match(lastFrame() ?? '', /Disconnected/);
  assert.match(lastFrame() ?? '', /Press c to connect/);
  assert.ok(!(lastFrame() ?? '').includes('Login OK'));
});

it('DisconnectScreen: after a failure, the failed step and the diagnostic code', () => {
  const s = statusOf('error', { timings: { ...statusOf('error').timings, login_ms: 5, bootstrap_ms: 5 } });
  const { lastFrame } = render(
    <DisconnectScreen status={s} error={shownError(new ViworksError('VIW_E_SPA_FAILED'))} />,
  );
  assert.match(lastFrame() ?? '', /✘ SPA sent/);
  assert.match(lastFrame() ?? '', /Diagnostic code: VIW_E_SPA_FAILED/);
});
