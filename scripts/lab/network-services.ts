// The lab's network services for issue #12, real programs in the lab's namespaces:
//   two Debian dnsmasq resolvers answering the canary name differently — the tunnel's (behind the
//   gateway, the policy's pushed resolver) and the LAN's (on the router, the client's own) — so a
//   lookup from the client says which one it reached;
//   the captive portal probe's target on the router: 204 on an "open network", a portal's 302
//   while the lab's flag file exists (the e2e test turns it on and off).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from './plan.js';
import { startDetached, waitForTcp } from './process.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';

function startResolver(plan: LabPlan, ns: string, listen: string, answer: string, name: string): void {
  const dir = join(plan.dir, 'dns');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  startDetached(
    ns,
    [
      DNSMASQ,
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${listen}`,
      '--except-interface=lo',
      `--address=/${plan.dns.canaryName}/${answer}`,
      `--pid-file=${join(dir, `${name}.pid`)}`,
      '--log-queries',
      `--log-facility=${join(plan.dirs.logs, `dnsmasq-${name}.log`)}`,
    ],
    join(plan.dirs.logs, `dnsmasq-${name}.out`),
  );
}

const CAPTIVE_TARGET_JS = `
const [host, port, flag, servicePort] = process.argv.slice(1);
const fs = require('node:fs');
const http = require('node:http');
http.createServer((req, res) => {
  if (fs.existsSync(flag)) res.writeHead(302, { location: 'http://portal.lab.viworks.test/login' }).end();
  else res.writeHead(204).end();
}).listen(Number(port), host);
// A plain service beside it: what a kill switch must keep the client from (e2e tests).
http.createServer((req, res) => res.end('viworks-lab-router-service\\n')).listen(Number(servicePort), host);`;

export async function startNetworkServices(plan: LabPlan): Promise<void> {
  startResolver(plan, plan.internal.ns, plan.dns.tunnelResolver, plan.dns.tunnelAnswer, 'tunnel');
  startResolver(plan, plan.router.ns, plan.dns.lanResolver, plan.dns.lanAnswer, 'lan');
  const c = plan.captive;
  startDetached(
    plan.router.ns,
    [
      process.execPath,
      '-e',
      CAPTIVE_TARGET_JS,
      c.host,
      String(c.port),
      c.flagFile,
      String(plan.routerService.port),
    ],
    join(plan.dirs.logs, 'captive-target.log'),
  );
  await waitForTcp(plan.router.ns, plan.dns.lanResolver, 53, 15_000);
  await waitForTcp(plan.internal.ns, plan.dns.tunnelResolver, 53, 15_000);
  await waitForTcp(plan.router.ns, c.host, c.port, 15_000);
  await waitForTcp(plan.router.ns, plan.routerService.host, plan.routerService.port, 15_000);
}
