import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { frameWhere, frameWith, settle } from '../testing/fake-client.js';
import { MaskedInput } from './MaskedInput.js';

afterEach(cleanup);

it('MaskedInput: masks what is typed, backspace removes one, Enter submits and clears', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = render(<MaskedInput label="Password" mask onSubmit={(v) => got.push(v)} />);
  await settle();
  stdin.write('hunter22');
  await frameWith(lastFrame, '••••••••');
  assert.ok(!(lastFrame() ?? '').includes('hunter'));
  stdin.write('\u007f');
  await frameWhereLen(lastFrame, 7);
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, ['hunter2']);
  assert.ok(!(lastFrame() ?? '').includes('•'), 'cleared after submit');
});

function frameWhereLen(lastFrame: () => string | undefined, n: number) {
  return frameWhere(lastFrame, (f) => f.trimEnd() === `Password: ${'•'.repeat(n)}`);
}

it('MaskedInput: accept filters characters, maxLength caps, Enter on empty does nothing', async () => {
  const got: string[] = [];
  const { lastFrame, stdin } = render(
    <MaskedInput label="Code" maxLength={6} accept={(c) => /[0-9]/.test(c)} onSubmit={(v) => got.push(v)} />,
  );
  await settle();
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, []);
  stdin.write('12a34 5678');
  await frameWith(lastFrame, 'Code: 123456');
  stdin.write('\r');
  await settle();
  assert.deepEqual(got, ['123456']);
});

it('MaskedInput: Esc cancels and clears', async () => {
  let cancelled = 0;
  const { lastFrame, stdin } = render(
    <MaskedInput label="Password" mask onSubmit={() => undefined} onCancel={() => cancelled++} />,
  );
  await settle();
  stdin.write('abc');
  await frameWith(lastFrame, '•••');
  stdin.write('\u001b');
  await settle(100);
  assert.equal(cancelled, 1);
  assert.ok(!(lastFrame() ?? '').includes('•'));
});
