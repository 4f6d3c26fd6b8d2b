// Which DNS method a machine gets, on fake filesystem roots (systemd-resolved cannot run here, and
// resolvconf must not be installed on the test machine), and the selected backend's promise: undo
// follows the state file — a restart undoes the method that was used even when detection now picks
// another, and a session's apply first undoes a record another method left. resolvectl/resolvconf
// are recording runners (see resolved-dns.test.ts, resolvconf-dns.test.ts for their protocol).
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DnsApplyRequest } from './dns-backend.js';
import { DnsStateStore } from './dns-state.js';
import { renderResolvConf } from './resolv-conf.js';
import { RESOLVECTL } from './resolved-dns.js';
import { detectDnsMethod, selectDnsBackend } from './select-dns.js';
import { hostileRequests } from './testing/hostile.js';
import { recordingRunner } from './testing/recording-runner.js';

const PUSHED: DnsApplyRequest = {
  servers: ['10.8.0.1'],
  searchDomains: ['corp.example'],
  interfaceName: 'tun0',
  fullTunnel: true,
};
const ORIGINAL = 'nameserver 192.168.1.1\nsearch home.lan\n';

let dir: string;
let stateDir: string;
let resolvConfPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-select-dns-'));
  stateDir = join(dir, 'state');
  resolvConfPath = join(dir, 'resolv.conf');
  writeFileSync(resolvConfPath, ORIGINAL);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake root with the given files (executable), directories (ending in /) and links (`path -> target`). */
function fakeRoot(...entries: string[]): string {
  const root = mkdtempSync(join(dir, 'root-'));
  for (const e of entries) {
    const [path = '', target] = e.split(' -> ');
    const at = join(root, path);
    mkdirSync(path.endsWith('/') ? at : dirname(at), { recursive: true });
    if (target !== undefined) symlinkSync(target, at);
    else if (!path.endsWith('/')) {
      writeFileSync(at, '#!/bin/sh\n');
      chmodSync(at, 0o755);
    }
  }
  return root;
}

const RESOLVED_RUNNING = [
  'run/systemd/system/',
  'run/systemd/units/invocation:systemd-resolved.service -> 0123456789abcdef0123456789abcdef',
  'run/systemd/resolve/',
  'usr/bin/resolvectl',
];

describe('detectDnsMethod', () => {
  it('systemd-resolved when systemd runs it (booted, unit active, runtime dir, resolvectl)', () => {
    assert.deepEqual(detectDnsMethod(fakeRoot(...RESOLVED_RUNNING, 'sbin/resolvconf')), {
      method: 'systemd-resolved',
    });
  });

  it('not resolved when any sign is missing: no systemd, a stopped unit (its preserved dir), no resolvectl', () => {
    for (const missing of RESOLVED_RUNNING) {
      const root = fakeRoot(...RESOLVED_RUNNING.filter((e) => e !== missing));
      assert.deepEqual(detectDnsMethod(root), { method: 'file' }, missing);
    }
  });

  it('resolvconf when /sbin or /usr/sbin has one, but not systemd’s (a link to resolvectl)', () => {
    assert.deepEqual(detectDnsMethod(fakeRoot('sbin/resolvconf')), {
      method: 'resolvconf',
      resolvconf: '/sbin/resolvconf',
    });
    assert.deepEqual(detectDnsMethod(fakeRoot('usr/sbin/resolvconf')), {
      method: 'resolvconf',
      resolvconf: '/usr/sbin/resolvconf',
    });
    assert.deepEqual(
      detectDnsMethod(fakeRoot('usr/bin/resolvectl', 'usr/sbin/resolvconf -> ../bin/resolvectl')),
      {
        method: 'file',
      },
    );
    assert.deepEqual(detectDnsMethod(fakeRoot('usr/sbin/resolvconf -> /usr/bin/resolvectl')), {
      method: 'file',
    });
  });

  it('file otherwise', () => {
    assert.deepEqual(detectDnsMethod(fakeRoot()), { method: 'file' });
    assert.deepEqual(detectDnsMethod(fakeRoot('sbin/')), { method: 'file' });
  });
});

describe('selectDnsBackend', () => {
  it('the flag overrides detection; resolvconf forced where none is installed is refused', () => {
    const root = fakeRoot(...RESOLVED_RUNNING);
    assert.equal(selectDnsBackend({ stateDir, resolvConfPath, root }).method, 'systemd-resolved');
    assert.equal(
      selectDnsBackend({ stateDir, resolvConfPath, root, method: 'auto' }).method,
      'systemd-resolved',
    );
    assert.equal(selectDnsBackend({ stateDir, resolvConfPath, root, method: 'file' }).method, 'file');
    assert.throws(() => selectDnsBackend({ stateDir, resolvConfPath, root, method: 'resolvconf' }), {
      code: 'VIW_E_PREFLIGHT',
    });
    const withRc = fakeRoot('usr/sbin/resolvconf');
    assert.equal(
      selectDnsBackend({ stateDir, resolvConfPath, root: withRc, method: 'resolvconf' }).method,
      'resolvconf',
    );
  });

  it('the file method on the configured resolv.conf path', async () => {
    const dns = selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot() });
    await dns.apply(PUSHED);
    assert.equal(readFileSync(resolvConfPath, 'utf8'), renderResolvConf(PUSHED));
    assert.deepEqual(await dns.serversInUse(), ['10.8.0.1']);
    await dns.restore();
    assert.equal(readFileSync(resolvConfPath, 'utf8'), ORIGINAL);
  });

  it('a restart undoes the method that was used, even when detection now picks another', async () => {
    const r = recordingRunner();
    const before = selectDnsBackend({
      stateDir,
      resolvConfPath,
      root: fakeRoot(...RESOLVED_RUNNING),
      run: r.run,
    });
    await before.apply(PUSHED);
    // the daemon dies; at its next start resolved is gone and the file method would be chosen
    const after = selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot(), run: r.run });
    assert.equal(after.method, 'file');
    assert.equal(await after.applied(), true);
    r.calls.length = 0;
    await after.restore();
    assert.deepEqual(r.lines(), [`${RESOLVECTL} revert tun0`]);
    assert.equal(readFileSync(resolvConfPath, 'utf8'), ORIGINAL, 'resolv.conf was never touched');
    assert.equal(await after.applied(), false);
    await after.restore(); // nothing left: nothing runs
    assert.equal(r.calls.length, 1);
  });

  it('the same after resolvconf: the recorded program and flavour delete the record', async () => {
    const r = recordingRunner((c) =>
      c.args[0] === '--version' ? { stdout: 'openresolv 3.13.2\n' } : undefined,
    );
    await selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot('sbin/resolvconf'), run: r.run }).apply(
      PUSHED,
    );
    r.calls.length = 0;
    await selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot(), run: r.run }).restore();
    assert.deepEqual(r.lines(), ['/sbin/resolvconf -f -d tun0.viworks']);
  });

  it('a new session first undoes what another method left, then applies its own', async () => {
    await selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot() }).apply(PUSHED); // the file method, then a crash
    assert.notEqual(readFileSync(resolvConfPath, 'utf8'), ORIGINAL);
    const r = recordingRunner(() => {
      assert.equal(
        readFileSync(resolvConfPath, 'utf8'),
        ORIGINAL,
        'the old file is back before resolvectl runs',
      );
      return undefined;
    });
    const dns = selectDnsBackend({
      stateDir,
      resolvConfPath,
      root: fakeRoot(...RESOLVED_RUNNING),
      run: r.run,
    });
    await dns.apply({ ...PUSHED, interfaceName: 'tun1' });
    assert.equal(r.lines()[0], `${RESOLVECTL} dns tun1 10.8.0.1`);
    assert.deepEqual(await new DnsStateStore(stateDir).read(), {
      v: 2,
      method: 'systemd-resolved',
      interfaceName: 'tun1',
    });
  });

  it('a new session on another link reverts the old link first', async () => {
    const r = recordingRunner();
    const root = fakeRoot(...RESOLVED_RUNNING);
    await selectDnsBackend({ stateDir, resolvConfPath, root, run: r.run }).apply(PUSHED);
    r.calls.length = 0;
    await selectDnsBackend({ stateDir, resolvConfPath, root, run: r.run }).apply({
      ...PUSHED,
      interfaceName: 'tun1',
    });
    assert.deepEqual(r.lines().slice(0, 2), [`${RESOLVECTL} revert tun0`, `${RESOLVECTL} dns tun1 10.8.0.1`]);
  });

  it('a hostile request touches nothing — not even a leftover record — and runs nothing', async () => {
    await selectDnsBackend({ stateDir, resolvConfPath, root: fakeRoot() }).apply(PUSHED);
    const leftover = readFileSync(resolvConfPath, 'utf8');
    const r = recordingRunner();
    const dns = selectDnsBackend({
      stateDir,
      resolvConfPath,
      root: fakeRoot(...RESOLVED_RUNNING),
      run: r.run,
    });
    for (const req of hostileRequests())
      await assert.rejects(dns.apply(req), { code: 'VIW_E_VALIDATION' }, JSON.stringify(req));
    assert.equal(r.calls.length, 0);
    assert.equal(readFileSync(resolvConfPath, 'utf8'), leftover);
    assert.equal(existsSync(join(stateDir, 'dns-state.json')), true);
  });
});
