// systemd-resolved through resolvectl, checked against resolvectl's documented command protocol
// with a recording runner: no real systemd-resolved can run here (systemd is not PID 1 on this test
// machine, and resolved needs it and D-Bus), so these tests pin the exact argv each step runs, that
// the state file is written before the first command, that nothing runs for a hostile value, and
// how resolvectl's output is read. The output samples follow resolvectl's own printing
// (src/resolve/resolvectl.c, status_print_strv_ifindex: `Global:` / `Link <index> (<name>):` and
// its values, long lists wrapped onto lines indented to the values' column; servers spelled by
// in_addr_port_ifindex_name_to_string: `addr`, `addr:port`, `[v6]:port`, `%ifindex`, `#name`).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DnsApplyRequest } from './dns-backend.js';
import { DnsStateStore } from './dns-state.js';
import {
  parseResolvectlList,
  RESOLVECTL,
  ResolvedDns,
  resolvedServersInUse,
  serverAddress,
} from './resolved-dns.js';
import { hostileRequests } from './testing/hostile.js';
import { type RecordedCall, recordingRunner } from './testing/recording-runner.js';

const FULL: DnsApplyRequest = {
  servers: ['10.8.0.1', 'fd00:8::1'],
  searchDomains: ['corp.example'],
  interfaceName: 'tun0',
  fullTunnel: true,
};

let dir: string;
let state: DnsStateStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-resolved-'));
  state = new DnsStateStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ResolvedDns (recorded resolvectl protocol)', () => {
  it('full tunnel: the link gets the servers, the search domains plus ~., and default-route yes', async () => {
    const seenState: boolean[] = [];
    const r = recordingRunner(() => {
      seenState.push(existsSync(state.path));
      return undefined;
    });
    const dns = new ResolvedDns({ state, run: r.run });
    await dns.apply(FULL);
    assert.deepEqual(r.lines(), [
      `${RESOLVECTL} dns tun0 10.8.0.1 fd00:8::1`,
      `${RESOLVECTL} domain tun0 corp.example ~.`,
      `${RESOLVECTL} default-route tun0 yes`,
    ]);
    assert.deepEqual(seenState, [true, true, true], 'the record is written before the first command');
    assert.ok(r.calls.every((c) => c.stdin === undefined));
    assert.deepEqual(await state.read(), { v: 2, method: 'systemd-resolved', interfaceName: 'tun0' });
    assert.equal(await dns.applied(), true);
  });

  it('split tunnel: search domains only route their names, default-route no; no domain clears the list', async () => {
    const r = recordingRunner();
    const dns = new ResolvedDns({ state, run: r.run });
    await dns.apply({ ...FULL, fullTunnel: false });
    await dns.apply({ ...FULL, searchDomains: [], fullTunnel: false }); // a change mid-session
    assert.deepEqual(r.lines(), [
      `${RESOLVECTL} dns tun0 10.8.0.1 fd00:8::1`,
      `${RESOLVECTL} domain tun0 corp.example`,
      `${RESOLVECTL} default-route tun0 no`,
      `${RESOLVECTL} dns tun0 10.8.0.1 fd00:8::1`,
      `${RESOLVECTL} domain tun0 ''`,
      `${RESOLVECTL} default-route tun0 no`,
    ]);
  });

  it('restore reverts the link and forgets it; again, nothing runs', async () => {
    const r = recordingRunner();
    const dns = new ResolvedDns({ state, run: r.run });
    await dns.apply(FULL);
    r.calls.length = 0;
    await dns.restore();
    assert.deepEqual(r.lines(), [`${RESOLVECTL} revert tun0`]);
    assert.equal(existsSync(state.path), false);
    await dns.restore();
    assert.equal(r.calls.length, 1);
  });

  it('after the daemon died: a new instance reverts the recorded link', async () => {
    await new ResolvedDns({ state, run: recordingRunner().run }).apply(FULL);
    const r = recordingRunner();
    await new ResolvedDns({ state: new DnsStateStore(dir), run: r.run }).restore();
    assert.deepEqual(r.lines(), [`${RESOLVECTL} revert tun0`]);
    assert.equal(existsSync(state.path), false);
  });

  it('a link that is gone (OpenVPN crashed, tun0 vanished) took its DNS with it: restore is done', async () => {
    await state.write({ v: 2, method: 'systemd-resolved', interfaceName: 'tun0' });
    const gone = recordingRunner(() => ({ code: 1, stderr: "Unknown interface 'tun0': No such device\n" }));
    await new ResolvedDns({ state, run: gone.run }).restore();
    assert.equal(existsSync(state.path), false);
  });

  it('any other failure to revert is VIW_E_PREFLIGHT and the record stays for the next try', async () => {
    await state.write({ v: 2, method: 'systemd-resolved', interfaceName: 'tun0' });
    const down = recordingRunner(() => ({
      code: 1,
      stderr: 'Failed to connect to bus: No such file or directory',
    }));
    await assert.rejects(
      new ResolvedDns({ state, run: down.run }).restore(),
      (e: Error & { code?: string; details?: string[] }) =>
        e.code === 'VIW_E_PREFLIGHT' && /Failed to connect to bus/.test(e.details?.join() ?? ''),
    );
    const missing = recordingRunner(() => ({ code: null }));
    await assert.rejects(
      new ResolvedDns({ state, run: missing.run }).restore(),
      (e: Error & { details?: string[] }) => /apt-get install systemd-resolved/.test(e.details?.join() ?? ''),
    );
    assert.equal(existsSync(state.path), true);
  });

  it('a failed step reverts what was set: a failed apply leaves nothing applied', async () => {
    const r = recordingRunner((c: RecordedCall) =>
      c.args[0] === 'domain'
        ? { code: 1, stderr: 'Failed to set domain configuration: Access denied' }
        : undefined,
    );
    await assert.rejects(new ResolvedDns({ state, run: r.run }).apply(FULL), { code: 'VIW_E_PREFLIGHT' });
    assert.deepEqual(r.lines(), [
      `${RESOLVECTL} dns tun0 10.8.0.1 fd00:8::1`,
      `${RESOLVECTL} domain tun0 corp.example ~.`,
      `${RESOLVECTL} revert tun0`,
    ]);
    assert.equal(existsSync(state.path), false);
  });

  it('refuses hostile values before any command runs and writes no record', async () => {
    for (const req of hostileRequests()) {
      const r = recordingRunner();
      await assert.rejects(
        new ResolvedDns({ state, run: r.run }).apply(req),
        { code: 'VIW_E_VALIDATION' },
        JSON.stringify(req),
      );
      assert.equal(r.calls.length, 0);
      assert.equal(existsSync(state.path), false);
    }
  });

  it('a record of another method or link is not its own (VIW_E_STATE); nothing runs', async () => {
    await state.write({ v: 2, method: 'systemd-resolved', interfaceName: 'tun1' });
    const r = recordingRunner();
    await assert.rejects(new ResolvedDns({ state, run: r.run }).apply(FULL), { code: 'VIW_E_STATE' });
    assert.equal(r.calls.length, 0);
  });
});

// `resolvectl dns`, `resolvectl domain`, `resolvectl default-route` on a laptop: the LAN on wlan0,
// a docker bridge, and the tunnel link in full-tunnel mode.
const DNS_OUT = [
  'Global: 1.1.1.1#cloudflare-dns.com [2606:4700:4700::1111]:853#cloudflare-dns.com',
  'Link 2 (wlan0): 192.168.1.1 fe80::1%2',
  'Link 3 (docker0):',
  'Link 7 (tun0): 10.8.0.1 fd00:8::1',
  '',
].join('\n');
const DOMAIN_FULL = [
  'Global:',
  'Link 2 (wlan0): home.lan',
  'Link 3 (docker0):',
  'Link 7 (tun0): corp.example ~.',
  '',
].join('\n');
const DEFAULT_ROUTE_FULL = ['Link 2 (wlan0): yes', 'Link 3 (docker0): no', 'Link 7 (tun0): yes', ''].join(
  '\n',
);

describe('reading resolvectl', () => {
  it('parses each scope and its values, continued lines included, highlighting stripped', () => {
    const wrapped = [
      '\u001b[0;1;39mGlobal\u001b[0m: 9.9.9.9',
      '\u001b[0;1;39mLink 12 (enp0s31f6)\u001b[0m: 192.168.178.1 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1 2001:db8:aaaa:bbbb:cccc:dddd:eeee:2',
      '        2001:db8:aaaa:bbbb:cccc:dddd:eeee:3',
      'Link 13 (wg-home):',
    ].join('\n');
    assert.deepEqual(parseResolvectlList(wrapped), [
      { scope: 'Global', ifindex: null, values: ['9.9.9.9'] },
      {
        scope: 'enp0s31f6',
        ifindex: 12,
        values: [
          '192.168.178.1',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:2',
          '2001:db8:aaaa:bbbb:cccc:dddd:eeee:3',
        ],
      },
      { scope: 'wg-home', ifindex: 13, values: [] },
    ]);
  });

  it('reads each spelling of a server as its address', () => {
    assert.equal(serverAddress('1.1.1.1'), '1.1.1.1');
    assert.equal(serverAddress('1.1.1.1:853'), '1.1.1.1');
    assert.equal(serverAddress('1.1.1.1#cloudflare-dns.com'), '1.1.1.1');
    assert.equal(serverAddress('1.1.1.1:853#cloudflare-dns.com'), '1.1.1.1');
    assert.equal(serverAddress('fe80::1%2'), 'fe80::1');
    assert.equal(serverAddress('[2606:4700:4700::1111]:853#cloudflare-dns.com'), '2606:4700:4700::1111');
    assert.equal(serverAddress('[fe80::1]:53%2#name'), 'fe80::1');
    assert.equal(serverAddress('fd00:8::1'), 'fd00:8::1');
    assert.equal(serverAddress('~.'), null);
    assert.equal(serverAddress('yes'), null);
  });

  it('full tunnel (~. on tun0): only the tunnel link’s servers answer names no link claims', () => {
    assert.deepEqual(resolvedServersInUse(DNS_OUT, DOMAIN_FULL, DEFAULT_ROUTE_FULL), [
      '10.8.0.1',
      'fd00:8::1',
    ]);
  });

  it('without ~.: the global servers and those of every default-route link', () => {
    const domain = DOMAIN_FULL.replace(' ~.', '');
    const defaultRoute = DEFAULT_ROUTE_FULL.replace('Link 7 (tun0): yes', 'Link 7 (tun0): no');
    assert.deepEqual(resolvedServersInUse(DNS_OUT, domain, defaultRoute), [
      '1.1.1.1',
      '2606:4700:4700::1111',
      '192.168.1.1',
      'fe80::1',
    ]);
  });

  it('serversInUse asks resolvectl for dns, domain and default-route (no pager) and combines them', async () => {
    const out: Record<string, string> = {
      dns: DNS_OUT,
      domain: DOMAIN_FULL,
      'default-route': DEFAULT_ROUTE_FULL,
    };
    const r = recordingRunner((c) => ({ stdout: out[c.args[1] ?? ''] ?? '' }));
    assert.deepEqual(await new ResolvedDns({ state, run: r.run }).serversInUse(), ['10.8.0.1', 'fd00:8::1']);
    assert.deepEqual(r.lines(), [
      `${RESOLVECTL} --no-pager dns`,
      `${RESOLVECTL} --no-pager domain`,
      `${RESOLVECTL} --no-pager default-route`,
    ]);
    const failing = recordingRunner(() => ({ code: 1, stderr: 'Failed to connect to bus' }));
    await assert.rejects(new ResolvedDns({ state, run: failing.run }).serversInUse(), {
      code: 'VIW_E_PREFLIGHT',
    });
  });
});
