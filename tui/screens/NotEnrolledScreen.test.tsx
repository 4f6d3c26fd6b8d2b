import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { NotEnrolledScreen } from './NotEnrolledScreen.js';

afterEach(cleanup);

it('NotEnrolledScreen: names the command that enrolls', () => {
  const { lastFrame } = render(<NotEnrolledScreen />);
  assert.match(lastFrame() ?? '', /This machine is not enrolled/);
  assert.match(lastFrame() ?? '', /viworks enroll --backend/);
});
