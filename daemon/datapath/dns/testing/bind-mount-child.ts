// Run by file-dns.test.ts as `unshare -m --propagation private node --import tsx
// bind-mount-child.ts <dir>`: in a mount namespace of its own (gone when it exits, the host's
// mounts untouched), it bind-mounts <dir>/host-resolv.conf onto <dir>/resolv.conf — as a container
// runtime does with /etc/resolv.conf — then applies and restores the session's DNS through FileDns
// and prints what it saw as JSON.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DnsStateStore } from '../dns-state.js';
import { FileDns } from '../file-dns.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bind-mount-child.ts <dir>');
const source = join(dir, 'host-resolv.conf');
const target = join(dir, 'resolv.conf');
execFileSync('/usr/bin/mount', ['--bind', source, target]);
const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${target} `);

const dns = new FileDns({ state: new DnsStateStore(join(dir, 'state')), path: target });
const wasMounted = mounted();
await dns.apply({
  servers: ['10.8.0.1'],
  searchDomains: ['corp.example'],
  interfaceName: 'tun0',
  fullTunnel: true,
});
const afterApply = readFileSync(source, 'utf8'); // written through the mount point, in place
const serversApplied = await dns.serversInUse();
await dns.restore();
process.stdout.write(
  JSON.stringify({
    wasMounted,
    afterApply,
    serversApplied,
    restoredB64: readFileSync(source).toString('base64'),
    restoredMode: statSync(source).mode & 0o7777,
    stillMounted: mounted(),
  }),
);
