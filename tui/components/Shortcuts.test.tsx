import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { Shortcuts } from './Shortcuts.js';

afterEach(cleanup);

it('Shortcuts: every key with its label on one line', () => {
  const { lastFrame } = render(
    <Shortcuts
      keys={[
        { key: 'c', label: 'connect' },
        { key: 'd', label: 'disconnect' },
        { key: 'l', label: 'logs' },
        { key: 'q', label: 'quit' },
      ]}
    />,
  );
  assert.equal(lastFrame(), '[c] connect  [d] disconnect  [l] logs  [q] quit');
});
