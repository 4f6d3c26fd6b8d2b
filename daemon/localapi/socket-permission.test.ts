// The socket's permissions are the daemon's front door: a user outside the socket's group gets
// EACCES, which the LocalClient turns into VIW_E_PERMISSION_DENIED with the fix-it hint; a member
// of the group gets in. Run as `nobody` (runuser) — needs root.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { needPeers } from '../../scripts/testkit/peers.js';
import { type DaemonFixture, startDaemonFixture } from '../testing/daemon-fixture.js';

const RUNUSER = '/usr/sbin/runuser';
const NOBODY_GID = 65534;
const skip = needPeers({ root: true, binaries: [RUNUSER], apt: 'util-linux' }).skip;
const probe = join(dirname(fileURLToPath(import.meta.url)), '..', 'testing', 'socket-probe.ts');

/** Async on purpose: the daemon answering the probe runs in this very process. */
async function asNobody(socketPath: string): Promise<{ state?: string; code?: string; hint?: string }> {
  const { stdout } = await promisify(execFile)(
    RUNUSER,
    ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', probe, socketPath],
    { cwd: join(dirname(probe), '..', '..'), encoding: 'utf8', timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

describe('socket permissions (as nobody)', { skip }, () => {
  let d: DaemonFixture;
  before(async () => {
    d = await startDaemonFixture();
    // Let nobody reach the socket itself, so the socket's own mode and group are what decide.
    chmodSync(d.dir, 0o755);
    chmodSync(dirname(d.socketPath), 0o755);
  });
  after(() => d?.stop());

  it('a 0660 socket of another group refuses nobody: VIW_E_PERMISSION_DENIED with the hint', async () => {
    const r = await asNobody(d.socketPath);
    assert.equal(r.code, 'VIW_E_PERMISSION_DENIED');
    assert.match(r.hint ?? '', /viworks group or use sudo/i);
  });

  it("the socket's group gets in (the mechanism the viworks group relies on)", async () => {
    chownSync(d.socketPath, 0, NOBODY_GID);
    try {
      assert.deepEqual(await asNobody(d.socketPath), { state: 'idle' });
    } finally {
      chownSync(d.socketPath, 0, 0);
    }
  });
});
