// What a login leaves in a REAL viworksd's memory, read from outside as root (/proc/<pid>/mem):
// the password reaches the daemon inside an HTTP request, and once the request has been answered
// no copy of it may remain anywhere in the process's writable memory — not in the edge's body
// buffer (edge.ts), and not in the socket read buffers below it (wipe-reads.ts). A shorter request
// follows the login, as a CLI's status poll would: it must not be what hides or keeps the bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { LocalClient } from '../../core/localclient/index.js';
import { formsOf, needlesFound, writableRegions } from '../../scripts/testkit/memory-scan.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { socketUp, until, ViworksdProcesses } from '../testing/viworksd-process.js';

const peers = needPeers({ root: true });
const skip = process.platform === 'linux' ? peers.skip : 'Linux only';

const daemons = new ViworksdProcesses();
after(() => daemons.stopAll());

describe('a password sent to the local API (real viworksd, its memory read as root)', { skip }, () => {
  it('is found nowhere in the process once the login was answered', async () => {
    const d = daemons.start('login');
    await until(() => socketUp(d) || d.child.exitCode !== null, 'the socket');
    assert.ok(socketUp(d), d.stderr());
    const client = new LocalClient({ socketPath: d.socket });
    const password = `pw-${randomBytes(18).toString('hex')}`;
    // Not enrolled: the login is refused, after the edge has read and lifted the body.
    const refused = await client.login({ password }).then(
      () => null,
      (err: { code?: string }) => err.code ?? 'no code',
    );
    assert.ok(refused, 'a daemon that is not enrolled refuses the login');
    await client.status();
    const pid = d.child.pid!;
    const needles = formsOf('password', Buffer.from(password)).slice(0, 1);
    // The scan proves it can see the daemon's memory: the state it reports is in there.
    const regions = writableRegions(pid);
    assert.ok(regions.reduce((n, r) => n + r.length, 0) > 1024 * 1024, 'the scan read the process');
    assert.deepEqual(needlesFound(regions, needles), [], `login answered ${refused}; the password lingers`);
    d.child.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.stderr());
  });
});
