import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { statusOf } from '../testing/fake-client.js';
import { Header } from './Header.js';

afterEach(cleanup);

it('Header: the state and the enrolled user, and a notice when given', () => {
  const { lastFrame } = render(<Header status={statusOf('enrolled')} notice="warning: versions differ" />);
  const f = lastFrame() ?? '';
  assert.match(f, /^ViWorkS\s+state: enrolled · user: frank/);
  assert.match(f, /warning: versions differ/);
});

it('Header: no daemon yet', () => {
  const { lastFrame } = render(<Header status={null} />);
  assert.match(lastFrame() ?? '', /daemon: —/);
});
