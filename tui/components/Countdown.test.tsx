import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { Countdown, secondsLeft } from './Countdown.js';

afterEach(cleanup);

const now = Date.parse('2026-01-01T00:00:00.000Z');

it('Countdown: m:ss left of the 120 s code', () => {
  const { lastFrame } = render(<Countdown expiresAt="2026-01-01T00:02:00.000Z" now={now} />);
  assert.equal(lastFrame(), 'Code expires in 2:00');
  const later = render(<Countdown expiresAt="2026-01-01T00:02:00.000Z" now={now + 95_500} />);
  assert.equal(later.lastFrame(), 'Code expires in 0:25');
});

it('Countdown: expired says what to do', () => {
  const { lastFrame } = render(<Countdown expiresAt="2026-01-01T00:02:00.000Z" now={now + 121_000} />);
  assert.match(lastFrame() ?? '', /The code has expired/);
  assert.equal(secondsLeft('2026-01-01T00:02:00.000Z', now + 119_001), 1);
});

it('Countdown: ticks on its own without a fixed time', async () => {
  const at = new Date(Date.now() + 120_000).toISOString();
  const { lastFrame } = render(<Countdown expiresAt={at} />);
  assert.match(lastFrame() ?? '', /Code expires in (2:00|1:59)/);
});
