// The sandbox's network: its own namespace, a veth pair to the node's namespace, a /30 from the pool,
// a default route via the node's end, and the node forwarding. Creation is idempotent-free on purpose
// (a leftover of the same name is an error, found before anything is made); removal is idempotent.
import { readFile } from 'node:fs/promises';
import { BIN } from './bwrap-argv.js';
import { inNetns, mustRun, runCommand } from './exec.js';
import type { SandboxNames, SlotAddresses } from './names.js';

const ip = (nodeNs: string | undefined, ...args: string[]): string[] =>
  nodeNs === undefined ? [BIN.ip, ...args] : [BIN.ip, '-n', nodeNs, ...args];

export async function createSandboxNetwork(
  names: SandboxNames,
  addr: SlotAddresses,
  nodeNs: string | undefined,
): Promise<void> {
  const sbx = (...args: string[]) => [BIN.ip, '-n', names.netns, ...args];
  await mustRun('netns add', [BIN.ip, 'netns', 'add', names.netns]);
  // The sandbox's end is born inside its namespace: it never exists in the node's.
  await mustRun(
    'veth add',
    ip(
      nodeNs,
      'link',
      'add',
      names.nodeIf,
      'type',
      'veth',
      'peer',
      'name',
      names.sandboxIf,
      'netns',
      names.netns,
    ),
  );
  await mustRun('node address', ip(nodeNs, 'addr', 'add', `${addr.node}/30`, 'dev', names.nodeIf));
  await mustRun('node link up', ip(nodeNs, 'link', 'set', names.nodeIf, 'up'));
  await mustRun('sandbox lo up', sbx('link', 'set', 'lo', 'up'));
  await mustRun('sandbox address', sbx('addr', 'add', `${addr.sandbox}/30`, 'dev', names.sandboxIf));
  await mustRun('sandbox link up', sbx('link', 'set', names.sandboxIf, 'up'));
  await mustRun('sandbox route', sbx('route', 'add', 'default', 'via', addr.node));
  // The node already forwards for its VPN sessions; this makes a fresh lab node do the same.
  await mustRun('ip_forward', inNetns(nodeNs, ['/usr/sbin/sysctl', '-qw', 'net.ipv4.ip_forward=1']));
}

/** Deletes the veth (both ends go) and the namespace; absent ones are not an error. */
export async function removeSandboxNetwork(names: SandboxNames, nodeNs: string | undefined): Promise<void> {
  await runCommand(ip(nodeNs, 'link', 'del', names.nodeIf));
  await runCommand([BIN.ip, 'netns', 'del', names.netns]);
}

/** PIDs of every process inside the sandbox's namespace (empty when it has none or is gone). */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await runCommand([BIN.ip, 'netns', 'pids', netns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^[0-9]+$/.test(s))
    .map(Number);
}

export async function netnsExists(netns: string): Promise<boolean> {
  const r = await runCommand([BIN.ip, 'netns', 'list']);
  return r.stdout.split('\n').some((line) => line.split(' ')[0] === netns);
}

export async function linkExists(ifname: string, nodeNs: string | undefined): Promise<boolean> {
  const r = await runCommand(ip(nodeNs, 'link', 'show', 'dev', ifname));
  return r.code === 0;
}

/** Whether the namespace's bind mount (/run/netns/<name>) is still in this process's mount table. */
export async function netnsMounted(netns: string): Promise<boolean> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[4] === `/run/netns/${netns}`);
}
