import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { frameWith, settle } from '../testing/fake-client.js';
import { NewPasswordScreen } from './NewPasswordScreen.js';

afterEach(cleanup);

const NEXT = 'a much better pass 42';

function screen(got: string[]) {
  return render(
    <NewPasswordScreen
      username="frank"
      busy={false}
      error={null}
      onSubmit={(p) => got.push(p)}
      onCancel={() => undefined}
    />,
  );
}

it('NewPasswordScreen: typed twice (masked), then handed over', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = screen(got);
  await settle();
  stdin.write(NEXT);
  await frameWith(lastFrame, '•••');
  stdin.write('\r');
  await frameWith(lastFrame, 'Again:');
  stdin.write(NEXT);
  await settle();
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, [NEXT]);
  assert.ok(!(lastFrame() ?? '').includes(NEXT));
});

it('NewPasswordScreen: a weak password is refused before sending; two different entries too', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = screen(got);
  await settle();
  stdin.write('short\r');
  await frameWith(lastFrame, 'New password:');
  assert.match(lastFrame() ?? '', /12/);
  stdin.write(`${NEXT}\r`);
  await frameWith(lastFrame, 'Again:');
  stdin.write('something else entirely\r');
  await frameWith(lastFrame, 'The two entries differ');
  assert.deepEqual(got, []);
});
