import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import type { LogLine } from '../../core/localclient/index.js';
import { formatLogLine, LogPane } from './LogPane.js';

afterEach(cleanup);

const line = (i: number, msg = `event ${i}`): LogLine => ({
  at: `2026-01-01T00:00:0${i}.000Z`,
  level: i % 2 ? 'info' : 'warn',
  msg,
  state: 'enrolled',
});

it('LogPane: the newest lines that fit, oldest dropped', () => {
  const lines = [1, 2, 3, 4, 5].map((i) => ({ seq: i, line: line(i) }));
  const { lastFrame } = render(<LogPane lines={lines} height={3} />);
  const f = lastFrame() ?? '';
  assert.ok(!f.includes('event 2'));
  for (const i of [3, 4, 5]) assert.ok(f.includes(`00:00:0${i} `) && f.includes(`event ${i}`), f);
  assert.equal(formatLogLine(line(1)), '00:00:01 info  [enrolled] event 1');
});

it('LogPane: a long line is cut to the width, not wrapped', () => {
  const { lastFrame } = render(<LogPane lines={[{ seq: 0, line: line(1, 'x'.repeat(300)) }]} height={5} />);
  const rows = (lastFrame() ?? '').split('\n');
  assert.equal(rows.length, 4, 'border, title, one line, border');
  assert.ok(rows.every((r) => r.length <= 100));
});

it('LogPane: empty', () => {
  const { lastFrame } = render(<LogPane lines={[]} height={5} />);
  assert.match(lastFrame() ?? '', /no lines yet/);
});
