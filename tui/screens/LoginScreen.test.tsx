import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { shownError } from '../errors.js';
import { frameWith, settle } from '../testing/fake-client.js';
import { LoginScreen } from './LoginScreen.js';

afterEach(cleanup);

it('LoginScreen: the password is masked and handed over on Enter', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = render(
    <LoginScreen
      username="frank"
      busy={false}
      error={null}
      onSubmit={(p) => got.push(p)}
      onCancel={() => undefined}
    />,
  );
  await settle();
  stdin.write('pw-1');
  await frameWith(lastFrame, 'Password: ••••');
  assert.match(lastFrame() ?? '', /Log in as frank/);
  assert.ok(!(lastFrame() ?? '').includes('pw-1'));
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, ['pw-1']);
});

it('LoginScreen: busy hides the field; a wrong password shows its error', () => {
  const busy = render(
    <LoginScreen username="frank" busy error={null} onSubmit={() => undefined} onCancel={() => undefined} />,
  );
  assert.match(busy.lastFrame() ?? '', /Logging in…/);
  assert.ok(!(busy.lastFrame() ?? '').includes('Password:'));
  const failed = render(
    <LoginScreen
      username="frank"
      busy={false}
      error={shownError(new ViworksError('VIW_E_AUTH_FAILED'))}
      onSubmit={() => undefined}
      onCancel={() => undefined}
    />,
  );
  assert.match(failed.lastFrame() ?? '', /Diagnostic code: VIW_E_AUTH_FAILED/);
});
