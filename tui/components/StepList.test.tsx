import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { connectSteps } from '../../core/localclient/index.js';
import { statusOf } from '../testing/fake-client.js';
import { StepList } from './StepList.js';

afterEach(cleanup);

it('StepList: done, running and pending steps with their marks', () => {
  const s = statusOf('spa', {
    timings: { ...statusOf('spa').timings, login_ms: 100, bootstrap_ms: 50 },
  });
  const { lastFrame } = render(<StepList steps={connectSteps(s)} />);
  assert.equal(
    lastFrame(),
    ['✔ Login OK', '✔ OTP verified', '✔ Bootstrap received', '▸ SPA sent', '· TLS ok', '· OVPN up'].join(
      '\n',
    ),
  );
});

it('StepList: a failed step is marked ✘', () => {
  const s = statusOf('error', { timings: { ...statusOf('error').timings, login_ms: 100 } });
  const { lastFrame } = render(<StepList steps={connectSteps(s)} />);
  assert.match(lastFrame() ?? '', /✘ Bootstrap received/);
});
