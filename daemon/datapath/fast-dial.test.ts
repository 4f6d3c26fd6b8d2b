import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NetnsPair, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { freePort } from '../../scripts/testkit/ports.js';
import { fastDial } from './fast-dial.js';

describe('fastDial on loopback', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('connects at once when the port answers', async () => {
    const s = await fastDial({ host: '127.0.0.1', port, timeoutMs: 2000 });
    assert.equal(s.remotePort, port);
    s.destroy();
  });

  it("connect: each attempt is the caller's socket; the winner comes back without fastDial's listeners", async () => {
    const made: Socket[] = [];
    const s = await fastDial({
      host: 'unused.invalid',
      port: 1,
      timeoutMs: 2000,
      connect: () => {
        const attempt = netConnect({ host: '127.0.0.1', port });
        made.push(attempt);
        return attempt;
      },
    });
    assert.equal(made.length, 1);
    assert.equal(s, made[0]);
    assert.equal(s.listenerCount('error'), 0, "a later error is the caller's to handle");
    s.destroy();
  });

  it('an active refusal fails once every attempt was refused, without waiting for the deadline', async () => {
    const closed = await freePort();
    await assert.rejects(
      fastDial({ host: '127.0.0.1', port: closed, timeoutMs: 60_000, stepsMs: [0, 10, 20] }),
      (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
    );
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const p = fastDial({
      host: '127.0.0.1',
      port: await freePort(),
      timeoutMs: 60_000,
      stepsMs: [50],
      signal: ac.signal,
    });
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
  });
});

const peers = needPeers({ binaries: ['/usr/sbin/iptables'], root: true, apt: 'iptables iproute2' });

// What it is for: a gateway that drops the first SYNs (the SPA rule is not in yet) and then accepts.
// The kernel alone would resend the SYN only after 1 s; fastDial sends new ones meanwhile, which the
// DROP rule's packet counter shows.
describe('fastDial through a firewall that opens late', { skip: peers.skip }, () => {
  let pair: NetnsPair;
  before(async () => {
    pair = await NetnsPair.create();
  });
  after(() => pair?.destroy());

  it('sends fresh SYNs while the port is dark, and connects once it opens', async () => {
    const port = 7443;
    pair.spawn(pair.gw, 'listener', [
      process.execPath,
      '-e',
      `require('net').createServer(s=>s.end()).listen(${port})`,
    ]);
    const ipt = (...a: string[]) => pair.exec(pair.gw, ['/usr/sbin/iptables', '-w', ...a]);
    await ipt('-I', 'INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'DROP');
    // The dialer runs inside the client namespace (this process cannot enter it).
    const dialer = fileURLToPath(new URL('./fast-dial.ts', import.meta.url));
    const js = `import('${dialer}').then(({fastDial}) => (console.log('dialing'), fastDial({host:'${pair.gw.address}',port:${port},timeoutMs:8000}).then(s=>{console.log('connected');s.destroy()},e=>{console.log('failed '+e.code)})))`;
    const child = pair.spawn(pair.cl, 'dialer', [process.execPath, '--import', 'tsx', '-e', js]);
    // Let a few attempts hit the DROP rule, then "fwknopd" opens the port.
    assert.ok(await child.waitFor(/dialing/, 15_000), child.output);
    await new Promise((r) => setTimeout(r, 450));
    const counters = await runOk([
      '/usr/sbin/ip',
      'netns',
      'exec',
      pair.gw.ns,
      '/usr/sbin/iptables',
      '-w',
      '-L',
      'INPUT',
      '-v',
      '-n',
      '-x',
    ]);
    await ipt('-D', 'INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'DROP');
    assert.ok(await child.waitFor(/connected|failed/, 15_000), child.output);
    assert.match(child.output, /connected/);
    const dropped = Number(
      counters
        .split('\n')
        .find((l) => l.includes(`dpt:${port}`))
        ?.trim()
        .split(/\s+/)[0],
    );
    assert.ok(dropped >= 3, `SYNs dropped before the port opened: ${dropped}`);
  });
});
