// Creates and removes the lab's namespaces, links, addresses and routes (see plan.ts). Removal is
// total and safe to repeat: every process still inside a lab namespace is killed (`ip netns pids`
// sees daemonized ones too), then the namespaces and their /etc/netns files go. Deleting a namespace
// deletes its veths and its netfilter tables with it, so nothing is left in the host.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { IP, run, runOk } from '../testkit/netns.js';
import { ALL_HOSTS, type InternalNetwork, type LabPlan, namespaces } from './plan.js';

async function existingNamespaces(): Promise<Set<string>> {
  const r = await run([IP, 'netns', 'list']);
  return new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean),
  );
}

export async function labExists(plan: LabPlan): Promise<boolean> {
  const have = await existingNamespaces();
  return namespaces(plan).some((ns) => have.has(ns));
}

export async function createTopology(plan: LabPlan): Promise<void> {
  const router = plan.router.ns;
  for (const ns of namespaces(plan)) await runOk([IP, 'netns', 'add', ns]);
  await runOk([IP, '-n', router, 'link', 'set', 'lo', 'up']);
  await runOk([IP, 'netns', 'exec', router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  for (const role of ALL_HOSTS) {
    const h = plan[role];
    // Both ends are born inside their namespaces: the host namespace never sees them.
    await runOk([
      IP,
      'link',
      'add',
      h.ifname,
      'netns',
      h.ns,
      'type',
      'veth',
      'peer',
      'name',
      h.routerIf,
      'netns',
      router,
    ]);
    await runOk([IP, '-n', h.ns, 'link', 'set', 'lo', 'up']);
    await runOk([IP, '-n', h.ns, 'addr', 'add', `${h.address}/30`, 'dev', h.ifname]);
    await runOk([IP, '-n', h.ns, 'link', 'set', h.ifname, 'up']);
    await runOk([IP, '-n', router, 'addr', 'add', `${h.routerAddress}/30`, 'dev', h.routerIf]);
    await runOk([IP, '-n', router, 'link', 'set', h.routerIf, 'up']);
    await runOk([IP, '-n', h.ns, 'route', 'add', 'default', 'via', h.routerAddress]);
  }
  // "Elsewhere on the internet" for the SIEM test plan: more sources on the client's link (plan.ts).
  for (const far of plan.farSources)
    await runOk([IP, '-n', plan.client.ns, 'addr', 'add', `${far.address}/32`, 'dev', plan.client.ifname]);
  await runOk([IP, '-n', router, 'route', 'add', `10.236.${plan.id}.0/29`, 'via', plan.client.address]);
  // The internal networks behind the gateway; their only way out is the gateway.
  for (const inn of [plan.internal, plan.internalB]) await createInternalNetwork(plan, inn);
  // Name resolution inside the client (and the backend, for symmetry): `ip netns exec` mounts
  // /etc/netns/<ns>/hosts over /etc/hosts.
  const hosts =
    '127.0.0.1 localhost\n' +
    `${plan.gateway.address} ${plan.gatewayFqdn}\n` +
    `${plan.backend.address} ${plan.backendName}\n`;
  for (const role of ALL_HOSTS) {
    const dir = `/etc/netns/${plan[role].ns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/hosts`, hosts, { mode: 0o644 });
  }
  // The client's own resolver before it connects: the "LAN" one on the router (services.ts).
  writeFileSync(plan.dns.clientResolvConf, clientResolvConf(plan), { mode: 0o644 });
}

async function createInternalNetwork(plan: LabPlan, inn: InternalNetwork): Promise<void> {
  await runOk([
    IP,
    'link',
    'add',
    inn.gatewayIf,
    'netns',
    plan.gateway.ns,
    'type',
    'veth',
    'peer',
    'name',
    inn.ifname,
    'netns',
    inn.ns,
  ]);
  await runOk([IP, '-n', inn.ns, 'link', 'set', 'lo', 'up']);
  await runOk([IP, '-n', inn.ns, 'addr', 'add', `${inn.address}/24`, 'dev', inn.ifname]);
  await runOk([IP, '-n', inn.ns, 'link', 'set', inn.ifname, 'up']);
  await runOk([IP, '-n', plan.gateway.ns, 'addr', 'add', `${inn.gatewayAddress}/24`, 'dev', inn.gatewayIf]);
  await runOk([IP, '-n', plan.gateway.ns, 'link', 'set', inn.gatewayIf, 'up']);
  await runOk([IP, '-n', inn.ns, 'route', 'add', 'default', 'via', inn.gatewayAddress]);
}

/** The client's resolv.conf as the lab makes it (what every restore must give back, byte for byte). */
export function clientResolvConf(plan: LabPlan): string {
  return `# the lab client's LAN resolver (scripts/lab/topology.ts)\nnameserver ${plan.dns.lanResolver}\noptions timeout:1 attempts:1\n`;
}

/** PIDs of every process inside `ns` (daemonized ones included). */
export async function pidsIn(ns: string): Promise<number[]> {
  const r = await run([IP, 'netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 1);
}

/** PIDs in `ns` whose program name (/proc/<pid>/comm) is `comm`, e.g. every `openvpn`. */
export async function pidsNamed(ns: string, comm: string): Promise<number[]> {
  return (await pidsIn(ns)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Stops every process in the lab's namespaces: TERM, a grace period, then KILL. */
export async function killLabProcesses(plan: LabPlan, graceMs = 3000): Promise<void> {
  const nss = namespaces(plan);
  for (const ns of nss) for (const pid of await pidsIn(ns)) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    let left = 0;
    for (const ns of nss) left += (await pidsIn(ns)).length;
    if (left === 0) return;
    await sleep(100);
  }
  for (const ns of nss) for (const pid of await pidsIn(ns)) signal(pid, 'SIGKILL');
  await sleep(200);
}

export async function destroyTopology(plan: LabPlan): Promise<void> {
  await killLabProcesses(plan);
  const have = await existingNamespaces();
  for (const ns of namespaces(plan)) {
    if (have.has(ns)) await run([IP, 'netns', 'del', ns]);
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}
