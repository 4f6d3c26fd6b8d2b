// The unprivileged probes on real files in a temp directory: resolv.conf (plain and as a
// systemd-resolved symlink, missing), the tun node (a character device, a plain file, missing)
// and interface names from a fake sysfs directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dnsConfigCheck, otherVpnCheck, tunDeviceCheck } from './checks.js';
import { dnsFacts, parseResolvConf, sysfsTunnels, tunFacts } from './probes.js';

const dir = mkdtempSync(join(tmpdir(), 'viw-diag-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('diagnostic probes', () => {
  it('parses nameservers (zone ids dropped, junk ignored)', () => {
    assert.deepEqual(
      parseResolvConf('# c\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nnameserver nope\nsearch lan\n'),
      ['192.0.2.53', 'fe80::1'],
    );
  });

  it('reads resolv.conf as a file and through a systemd-resolved symlink; a missing one fails', async () => {
    const plain = join(dir, 'resolv.conf');
    writeFileSync(plain, 'nameserver 192.0.2.53\n');
    const f = await dnsFacts(plain);
    assert.deepEqual(f, { readable: true, nameservers: ['192.0.2.53'], linkTarget: null });
    assert.equal(dnsConfigCheck(f).status, 'pass');

    mkdirSync(join(dir, 'run/systemd/resolve'), { recursive: true });
    writeFileSync(join(dir, 'run/systemd/resolve/stub-resolv.conf'), 'nameserver 127.0.0.53\n');
    const link = join(dir, 'etc-resolv.conf');
    symlinkSync('run/systemd/resolve/stub-resolv.conf', link);
    const s = dnsConfigCheck(await dnsFacts(link));
    assert.equal(s.status, 'pass');
    assert.equal(s.details?.manager, 'systemd-resolved');

    const empty = join(dir, 'empty.conf');
    writeFileSync(empty, '# nothing\n');
    assert.equal(dnsConfigCheck(await dnsFacts(empty)).status, 'fail');
    assert.equal(dnsConfigCheck(await dnsFacts(join(dir, 'missing.conf'))).status, 'fail');
  });

  it('tun: /dev/null stands in for a character device; a plain file and a missing path fail', async () => {
    assert.equal(tunDeviceCheck(await tunFacts('/dev/null', 'linux')).status, 'pass');
    const file = join(dir, 'tun');
    writeFileSync(file, '');
    assert.equal(tunDeviceCheck(await tunFacts(file, 'linux')).status, 'fail');
    assert.equal(tunDeviceCheck(await tunFacts(join(dir, 'nope'), 'linux')).status, 'fail');
    assert.equal(tunDeviceCheck(await tunFacts(file, 'darwin')).status, 'skip');
  });

  it('interface names: a wg0 beside eth0 and lo is another VPN', async () => {
    const net = join(dir, 'net');
    for (const n of ['lo', 'eth0']) mkdirSync(join(net, n), { recursive: true });
    assert.equal(otherVpnCheck(await sysfsTunnels(net)).status, 'pass');
    mkdirSync(join(net, 'wg0'));
    const t = await sysfsTunnels(net);
    assert.deepEqual(t.interfaces, [{ name: 'wg0', kind: 'unknown' }]);
    assert.equal(otherVpnCheck(t).status, 'fail');
  });
});
