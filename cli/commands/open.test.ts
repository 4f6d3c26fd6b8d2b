// `viworks open`: which target of the session's isolated browser, the viewer URL it prints (never
// on a command line: --no-open here, the opener page is gui/server/opener.ts's), and the refusals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as R from '../lib/results.js';
import { errJson, okJson } from '../testing/assert.js';
import { type FakeDaemon, startFakeDaemon } from '../testing/fake-daemon.js';
import { runCommand } from '../testing/run.js';
import Open from './open.js';
import StatusCmd from './status.js';

const VIEWER = 'http://10.8.0.1:8444/b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/vnc.html?autoconnect=1';
const session = (
  browser: R.StatusResult['session'] extends infer S ? (S extends { browser: infer B } ? B : never) : never,
) => ({
  session_id: 's-1',
  gateway_fqdn: 'gw.test',
  connected_at: '2026-01-02T03:04:05.000Z',
  expires_at: '2026-01-02T11:04:05.000Z',
  virtual_ip: '10.8.0.6',
  browser,
});

describe('viworks open (fake local API)', () => {
  let fake: FakeDaemon;
  let sock: string[];
  before(async () => {
    fake = await startFakeDaemon();
    sock = ['--socket', fake.socketPath, '--no-open'];
  });
  after(async () => fake.stop());

  it('refuses when not connected, and when the policy grants no browser', async () => {
    errJson(await runCommand(Open, [...sock, '--json', 'wiki']), 4, 'VIW_E_STATE');
    fake.setState('connected', { session: session(null) });
    const none = errJson(await runCommand(Open, [...sock, '--json', 'wiki']), 2, 'VIW_E_NOT_FOUND');
    assert.match((none.details ?? []).join(' '), /grants no browser targets/);
  });

  it('opens a granted target; one target may go unnamed; an unknown name lists the granted ones', async () => {
    fake.setState('connected', { session: session({ viewer_url: VIEWER, targets: ['wiki', 'grafana'] }) });
    const r = okJson(await runCommand(Open, [...sock, '--json', 'grafana']), R.OpenResultSchema);
    assert.deepEqual(r, { v: 1, target: 'grafana', viewer_url: VIEWER, opened: false });
    const unknown = errJson(await runCommand(Open, [...sock, '--json', 'wikis']), 2, 'VIW_E_NOT_FOUND');
    assert.match((unknown.details ?? []).join(' '), /this session has: wiki, grafana/);
    errJson(await runCommand(Open, [...sock, '--json']), 2, 'VIW_E_NOT_FOUND');
    fake.setState('connected', { session: session({ viewer_url: VIEWER, targets: ['wiki'] }) });
    const only = okJson(await runCommand(Open, [...sock, '--json']), R.OpenResultSchema);
    assert.equal(only.target, 'wiki');
  });

  it('status lists the targets and how to open them', async () => {
    fake.setState('connected', { session: session({ viewer_url: VIEWER, targets: ['wiki', 'grafana'] }) });
    const text = await runCommand(StatusCmd, ['--socket', fake.socketPath]);
    assert.match(
      text.stdout,
      /^Browser: {2}wiki, grafana — viworks open <target> \(viewer http:\/\/10\.8\.0\.1:8444\//m,
    );
  });
});
