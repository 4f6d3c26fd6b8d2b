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
  await frameWith(lastFrame, `New password: ${'•'.repeat(NEXT.length)}`);
  stdin.write('\r');
  await frameWith(lastFrame, 'Again:');
  // The second field subscribes to input in an effect after it is drawn: a keystroke sent the moment
  // the frame shows can be lost on a loaded machine (CI saw it), so let the effect run first.
  await settle(200);
  stdin.write(NEXT);
  // Enter only once every character is in (under load Ink takes its time): the masked line shows all.
  await frameWith(lastFrame, `Again: ${'•'.repeat(NEXT.length)}`);
  stdin.write('\r');
  for (let i = 0; i < 100 && got.length === 0; i++) await settle(20);
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
  await settle(200);
  stdin.write(`${NEXT}\r`);
  await frameWith(lastFrame, 'Again:');
  await settle(200);
  stdin.write('something else entirely\r');
  await frameWith(lastFrame, 'The two entries differ');
  assert.deepEqual(got, []);
});
