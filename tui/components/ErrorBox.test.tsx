import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { shownError } from '../errors.js';
import { ErrorBox } from './ErrorBox.js';

afterEach(cleanup);

it('ErrorBox: message, hint and the diagnostic code with the trace id; never the details', () => {
  const err = new ViworksError('VIW_E_PIN_MISMATCH', { details: ['spki sha256/AAAA… at 10.0.0.1'] });
  err.traceId = 'trace-1234abcd';
  const { lastFrame } = render(<ErrorBox error={shownError(err)} />);
  const f = lastFrame() ?? '';
  assert.match(f, new RegExp(err.message.slice(0, 20)));
  assert.match(f, /Diagnostic code: VIW_E_PIN_MISMATCH\/trace-1234abcd/);
  assert.ok(!f.includes('10.0.0.1') && !f.includes('sha256/'), 'details stay out');
});

it('ErrorBox: an unexpected error shows as VIW_E_INTERNAL, without its message', () => {
  const { lastFrame } = render(<ErrorBox error={shownError(new Error('secret at /etc/key'))} />);
  assert.match(lastFrame() ?? '', /Diagnostic code: VIW_E_INTERNAL/);
  assert.ok(!(lastFrame() ?? '').includes('/etc/key'));
});
