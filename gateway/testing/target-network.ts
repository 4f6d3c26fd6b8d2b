// For the gateway's forwarding tests (session-forwarding-*.test.ts): a namespace standing for the
// networks behind a node — a veth from the node's namespace (`vt<tag>`) to a target namespace
// (`vx<tag>`), one /24 per network, the node forwarding — and its removal.
import { IP, type NetnsEnd, type NetnsPair, run, runOk } from '../../scripts/testkit/netns.js';

export interface TargetNetwork {
  /** The node's address on this network (the target's default route goes via the first one). */
  readonly gateway: string;
  /** The target's address on it. */
  readonly target: string;
}

/** Creates the target namespace behind `lab.gw`, with one address pair per network. */
export async function addTargetBehind(lab: NetnsPair, networks: readonly TargetNetwork[]): Promise<NetnsEnd> {
  const tag = lab.gw.ns.slice(-8);
  const target: NetnsEnd = { ns: `viw-tg-${tag}`, ifname: `vx${tag}`, address: networks[0]!.target };
  const ip = (...args: string[]) => runOk([IP, ...args]);
  await ip('netns', 'add', target.ns);
  await ip(
    'link',
    'add',
    `vt${tag}`,
    'netns',
    lab.gw.ns,
    'type',
    'veth',
    'peer',
    'name',
    target.ifname,
    'netns',
    target.ns,
  );
  for (const n of networks) {
    await ip('-n', lab.gw.ns, 'addr', 'add', `${n.gateway}/24`, 'dev', `vt${tag}`);
    await ip('-n', target.ns, 'addr', 'add', `${n.target}/24`, 'dev', target.ifname);
  }
  await ip('-n', lab.gw.ns, 'link', 'set', `vt${tag}`, 'up');
  await ip('-n', target.ns, 'link', 'set', 'lo', 'up');
  await ip('-n', target.ns, 'link', 'set', target.ifname, 'up');
  await ip('-n', target.ns, 'route', 'add', 'default', 'via', networks[0]!.gateway);
  await runOk([IP, 'netns', 'exec', lab.gw.ns, '/bin/sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  return target;
}

/** Stops what still runs in the target namespace (the test's listeners, by PID) and deletes it. */
export async function removeTarget(target: NetnsEnd | undefined): Promise<void> {
  if (!target) return;
  const pids = await run([IP, 'netns', 'pids', target.ns]);
  for (const pid of pids.stdout.split(/\s+/).filter((s) => /^[0-9]+$/.test(s))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run([IP, 'netns', 'del', target.ns]);
}
