// `viworks tui` outside a terminal: --json is refused (a screen has no single result) and a stdout
// or stdin that is not a TTY is a usage error (exit 2) naming what to use instead. Neither draws.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { errJson } from '../testing/assert.js';
import { runCommand } from '../testing/run.js';
import Tui from './tui.js';

it('tui --json: refused, exit 2, pointing at status --watch --json', async () => {
  const r = await runCommand(Tui, ['--json', '--socket', '/nonexistent.sock']);
  const e = errJson(r, 2, 'VIW_E_VALIDATION');
  assert.match(e.message, /no JSON output/);
  assert.match(e.hint, /status --watch --json/);
});

it('tui without a terminal: exit 2 with the hint, nothing drawn', async () => {
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  try {
    const r = await runCommand(Tui, ['--socket', '/nonexistent.sock']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /VIW_E_VALIDATION/);
    assert.match(r.stderr, /needs a terminal: stdout is not a TTY/);
    assert.match(r.stderr, /viworks connect/);
    assert.equal(r.stdout, '');
  } finally {
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
});
