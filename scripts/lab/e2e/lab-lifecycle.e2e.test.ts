// `lab up` is idempotent, and `lab down` — or any failure while coming up — leaves nothing behind:
// no namespace, no /etc/netns entry, no lab directory, no process, and the host's own firewall and
// links exactly as they were.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { IP, run } from '../../testkit/netns.js';
import { labDown, labStatus, labUp } from '../lab.js';
import { labPlan, namespaces } from '../plan.js';
import { processAlive } from '../process.js';
import { repoPath } from '../repo.js';
import { pidsIn, pidsNamed } from '../topology.js';
import { needLabPeers } from './helpers.js';

const LAB_ID = 202;
const peers = needLabPeers({ binaries: ['/usr/sbin/iptables'], apt: 'iptables' });
const self = { argv: [process.execPath, repoPath('dist/scripts/lab/cli.js')] };
const plan = labPlan(LAB_ID);

async function hostSnapshot(): Promise<string> {
  const rules = await run(['/usr/sbin/iptables', '-S']);
  const links = await run([IP, '-o', 'link', 'show']);
  // Link counters and states change on their own; names are what a leak would add.
  const names = links.stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean)
    .sort();
  return `${rules.stdout}\n${names.join(' ')}`;
}

/** Alive and not a zombie (processes this test started are reaped by its event loop a bit later). */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function assertNothingLeft(pids: readonly number[]): Promise<void> {
  const list = (await run([IP, 'netns', 'list'])).stdout;
  for (const ns of namespaces(plan)) {
    assert.ok(!list.includes(ns), `namespace ${ns} removed`);
    assert.ok(!existsSync(`/etc/netns/${ns}`), `/etc/netns/${ns} removed`);
  }
  assert.ok(!existsSync(plan.dir), 'lab directory removed');
  assert.deepEqual(
    pids.filter((p) => running(p)),
    [],
    'every process that ran in the lab is gone',
  );
}

async function labPids(): Promise<number[]> {
  const all: number[] = [];
  for (const ns of namespaces(plan)) all.push(...(await pidsIn(ns)));
  return all;
}

/** One PID per long-lived lab daemon, by namespace and program. */
async function daemonPids(): Promise<Record<string, number[]>> {
  return {
    fwknopd: await pidsNamed(plan.gateway.ns, 'fwknopd'),
    stunnel: [
      ...(await pidsNamed(plan.gateway.ns, 'stunnel')),
      ...(await pidsNamed(plan.gateway.ns, 'stunnel4')),
    ],
    openvpn: await pidsNamed(plan.gateway.ns, 'openvpn'),
    backend: await pidsNamed(plan.backend.ns, 'node'),
    viworksd: await pidsNamed(plan.client.ns, 'viworksd'),
    internal: await pidsNamed(plan.internal.ns, 'node'),
  };
}

describe('lab up | down', { skip: peers.skip }, () => {
  after(() => labDown(LAB_ID));

  it('up builds it, up again reuses it, down removes everything', async () => {
    const host = await hostSnapshot();
    const first = await labUp(LAB_ID, self);
    assert.equal(first.reused, false);
    const status = await labStatus(LAB_ID);
    assert.equal(status.up, true);
    assert.equal(status.phase, 'ready');
    // backend, sshd, fwknopd, stunnel, OpenVPN, the internal service and viworksd are running.
    const pids = await labPids();
    assert.ok(pids.length >= 7, `processes in the lab: ${pids.length}`);
    const daemonsBefore = await daemonPids();
    for (const [name, found] of Object.entries(daemonsBefore)) assert.equal(found.length, 1, `one ${name}`);
    const again = await labUp(LAB_ID, self);
    assert.equal(again.reused, true);
    // The long-lived daemons are the same processes (short-lived ones — the backend's health poll
    // runs viworks-gw over SSH every few seconds — come and go).
    assert.deepEqual(await daemonPids(), daemonsBefore, 'nothing restarted');
    await labDown(LAB_ID);
    await assertNothingLeft(pids);
    assert.equal(await hostSnapshot(), host, "the host's firewall and links are untouched");
    assert.equal((await labStatus(LAB_ID)).up, false);
  });

  it('a failure half-way (after the gateway is provisioned) leaves nothing behind', async () => {
    await labDown(LAB_ID);
    const host = await hostSnapshot();
    let seen: number[] = [];
    await assert.rejects(
      labUp(
        LAB_ID,
        self,
        (step) => {
          // Remember what was running just before the failure, to check it is gone afterwards.
          if (step.startsWith('internal services')) void labPids().then((p) => (seen = p));
        },
        { failAfter: 'internal services behind the gateway (networks A and B)' },
      ),
      /injected failure/,
    );
    await assertNothingLeft(seen);
    assert.equal(await hostSnapshot(), host);
  });
});
