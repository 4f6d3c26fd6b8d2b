import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { PreflightScreen } from './PreflightScreen.js';

afterEach(cleanup);

it('PreflightScreen: each check with its mark and code, and the verdict', () => {
  const { lastFrame } = render(
    <PreflightScreen
      error={null}
      result={{
        v: 1,
        ok: false,
        checks: [
          { name: 'clock', ok: true, code: null, detail: 'in sync' },
          { name: 'openvpn', ok: false, code: 'VIW_E_PREFLIGHT', detail: 'openvpn not found' },
        ],
      }}
    />,
  );
  const f = lastFrame() ?? '';
  assert.match(f, /✔ clock: in sync/);
  assert.match(f, /✘ openvpn: openvpn not found \(VIW_E_PREFLIGHT\)/);
  assert.match(f, /Not ready/);
});

it('PreflightScreen: running', () => {
  const { lastFrame } = render(<PreflightScreen error={null} result={null} />);
  assert.match(lastFrame() ?? '', /Running the checks/);
});
