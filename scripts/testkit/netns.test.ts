import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { IP, listNamespaces, NetnsPair, run } from './netns.js';
import { needPeers } from './peers.js';

const peers = needPeers({ binaries: [IP], root: true, apt: 'iproute2' });

test('NetnsPair: veth path works, host namespace untouched, destroy leaves nothing', {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const lab = await NetnsPair.create();
  let pid: number | undefined;
  try {
    assert.ok((await listNamespaces()).includes(lab.gw.ns));
    const hostLinks = (await run([IP, '-o', 'link'])).stdout;
    assert.ok(
      !hostLinks.includes(lab.gw.ifname) && !hostLinks.includes(lab.cl.ifname),
      'veth seen in the host',
    );
    const listener = await lab.listenTcp(lab.gw, lab.gw.address, 8443);
    pid = listener.pid;
    // `ip netns exec` execs the program: the PID we track is the listener itself, not a wrapper.
    assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith(`${process.execPath}\0-e`));
    assert.equal(await lab.probeTcp(lab.cl, lab.gw.address, 8443), 'open');
    assert.equal(await lab.probeTcp(lab.cl, lab.gw.address, 8444), 'ECONNREFUSED');
    await lab.sendUdp(lab.cl, lab.gw.address, 9, 'payload via stdin');
    assert.equal(await lab.probeUdp(lab.cl, lab.gw.address, 9), 'ECONNREFUSED', 'no firewall: ICMP answers');
    const r = await lab.exec(lab.cl, ['cat'], { input: 'abc' });
    assert.equal(r.stdout, 'abc');
  } finally {
    await lab.destroy();
  }
  const left = (await listNamespaces()).filter((n) => n === lab.gw.ns || n === lab.cl.ns);
  assert.deepEqual(left, []);
  assert.ok(pid !== undefined);
  assert.throws(() => process.kill(pid as number, 0), /ESRCH/, 'listener still running');
});
