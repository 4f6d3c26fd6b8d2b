import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { frameWith, settle } from '../testing/fake-client.js';
import { OtpScreen } from './OtpScreen.js';

afterEach(cleanup);

const now = Date.parse('2026-01-01T00:00:00.000Z');

it('OtpScreen: the countdown, digits only, six at most, Enter submits', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = render(
    <OtpScreen
      expiresAt="2026-01-01T00:01:54.000Z"
      busy={false}
      error={null}
      now={now}
      onSubmit={(c) => got.push(c)}
      onCancel={() => undefined}
    />,
  );
  await settle();
  assert.match(lastFrame() ?? '', /Code expires in 1:54/);
  stdin.write('12x3456789');
  await frameWith(lastFrame, 'Code: 123456');
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, ['123456']);
});

it('OtpScreen: Esc cancels', async () => {
  let cancelled = 0;
  const { stdin } = render(
    <OtpScreen
      expiresAt={null}
      busy={false}
      error={null}
      onSubmit={() => undefined}
      onCancel={() => cancelled++}
    />,
  );
  await settle();
  stdin.write('\u001b');
  await settle(100);
  assert.equal(cancelled, 1);
});
