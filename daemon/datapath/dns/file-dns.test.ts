// The file method on real files in a temporary directory: the session's servers go in, and what was
// there comes back byte for byte (and mode for mode, or as the same symlink) on restore — also from
// a new instance, as after the daemon died — while hostile values write nothing at all. A
// bind-mounted resolv.conf (containers, network namespaces), which rename(2) cannot replace, is
// rewritten in place: once with an injected rename failing EBUSY, once with a real bind mount in a
// private mount namespace (root and unshare(1) only).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  promises as fsp,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { needPeers } from '../../../scripts/testkit/peers.js';
import type { DnsApplyRequest } from './dns-backend.js';
import { DnsStateStore } from './dns-state.js';
import { FileDns } from './file-dns.js';
import { renderResolvConf } from './resolv-conf.js';
import { hostileRequests } from './testing/hostile.js';

const ORIGINAL = Buffer.from(
  '# the LAN resolver\nnameserver 192.168.1.1\nsearch home.lan\noptions edns0 trust-ad\n\n',
);
const PUSHED: DnsApplyRequest = {
  servers: ['10.8.0.1', 'fd00:8::1'],
  searchDomains: ['corp.example', 'eng.corp.example'],
  interfaceName: 'tun0',
  fullTunnel: true,
};

let dir: string;
let path: string;
let stateDir: string;
let stateFile: string;
const fileDns = (rename?: (from: string, to: string) => Promise<void>) =>
  new FileDns({ state: new DnsStateStore(stateDir), path, ...(rename ? { rename } : {}) });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-dns-'));
  path = join(dir, 'resolv.conf');
  stateDir = join(dir, 'state');
  stateFile = join(stateDir, 'dns-state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileDns', () => {
  it('applies the pushed servers and search domains, and restores the file byte for byte', async () => {
    writeFileSync(path, ORIGINAL);
    chmodSync(path, 0o640);
    const m = fileDns();
    assert.deepEqual(await m.serversInUse(), ['192.168.1.1']);
    await m.apply(PUSHED);
    assert.equal(readFileSync(path, 'utf8'), renderResolvConf(PUSHED));
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.deepEqual(await m.serversInUse(), ['10.8.0.1', 'fd00:8::1']);
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.equal(await m.applied(), true);
    await m.apply({ ...PUSHED, servers: ['10.8.0.2'], searchDomains: [] }); // mid-session: the first record stays
    assert.deepEqual(await m.serversInUse(), ['10.8.0.2']);
    await m.restore();
    assert.ok(readFileSync(path).equals(ORIGINAL));
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.equal(existsSync(stateFile), false);
    assert.equal(await m.applied(), false);
    await m.restore(); // nothing applied: nothing happens
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });

  it('after the daemon died: a new instance (the next start) restores from the state file', async () => {
    writeFileSync(path, ORIGINAL);
    await fileDns().apply(PUSHED);
    assert.equal(await fileDns().applied(), true);
    await fileDns().restore();
    assert.ok(readFileSync(path).equals(ORIGINAL));
    assert.equal(existsSync(stateFile), false);
  });

  it('a resolver manager’s symlink comes back as the same symlink; an absent file as absent', async () => {
    writeFileSync(join(dir, 'stub-resolv.conf'), 'nameserver 127.0.0.53\n');
    symlinkSync('stub-resolv.conf', path);
    const m = fileDns();
    await m.apply(PUSHED);
    assert.equal(lstatSync(path).isSymbolicLink(), false, 'the session writes a file of its own');
    assert.equal(readFileSync(join(dir, 'stub-resolv.conf'), 'utf8'), 'nameserver 127.0.0.53\n');
    await m.restore();
    assert.equal(readlinkSync(path), 'stub-resolv.conf');
    rmSync(path);
    await m.apply(PUSHED);
    assert.deepEqual(await m.serversInUse(), PUSHED.servers);
    await m.restore();
    assert.equal(existsSync(path), false);
    assert.deepEqual(await m.serversInUse(), []);
  });

  it('refuses hostile or malformed values (settings and interface name) and writes nothing', async () => {
    writeFileSync(path, ORIGINAL);
    for (const req of hostileRequests()) {
      await assert.rejects(fileDns().apply(req), { code: 'VIW_E_VALIDATION' }, JSON.stringify(req));
      assert.ok(readFileSync(path).equals(ORIGINAL));
      assert.equal(existsSync(stateFile), false);
    }
    assert.deepEqual(
      readFileSync(path)
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('options')),
      ['options edns0 trust-ad'],
    );
  });

  it('refuses a state file that is not its own (VIW_E_STATE) instead of writing from it', async () => {
    writeFileSync(path, ORIGINAL);
    const foreign = [
      // the pre-#12 format of ResolvConfManager
      '{"v":1,"path":"/etc/resolv.conf","original":{"kind":"file","mode":420,"bytes_b64":"eA=="},"servers":[]}',
      `{"v":2,"method":"file","interfaceName":"tun0","path":"${path}","original":{"kind":"absent"},"extra":1}`,
      `{"v":2,"method":"file","interfaceName":"tun0","path":"relative/resolv.conf","original":{"kind":"absent"}}`,
      'not json',
    ];
    for (const text of foreign) {
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(stateFile, text);
      await assert.rejects(fileDns().restore(), { code: 'VIW_E_STATE' }, text);
      await assert.rejects(fileDns().apply(PUSHED), { code: 'VIW_E_STATE' }, text);
      assert.ok(readFileSync(path).equals(ORIGINAL));
    }
  });

  it('refuses a state file others could have written (VIW_E_STATE): restoring from it writes as root', async () => {
    writeFileSync(path, ORIGINAL);
    await fileDns().apply(PUSHED);
    chmodSync(stateFile, 0o666);
    await assert.rejects(fileDns().restore(), { code: 'VIW_E_STATE' });
    chmodSync(stateFile, 0o600);
    await fileDns().restore();
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });

  it('leaves a record of another method alone (VIW_E_STATE): select-dns undoes it first', async () => {
    writeFileSync(path, ORIGINAL);
    const state = new DnsStateStore(stateDir);
    await state.write({ v: 2, method: 'systemd-resolved', interfaceName: 'tun0' });
    await assert.rejects(fileDns().apply(PUSHED), { code: 'VIW_E_STATE' });
    await assert.rejects(fileDns().restore(), { code: 'VIW_E_STATE' });
    assert.equal(await fileDns().applied(), false);
    assert.ok(readFileSync(path).equals(ORIGINAL));
    assert.deepEqual(await state.read(), { v: 2, method: 'systemd-resolved', interfaceName: 'tun0' });
  });

  it('a bind-mounted resolv.conf (rename fails EBUSY) is rewritten in place, and restored in place', async () => {
    writeFileSync(path, ORIGINAL);
    chmodSync(path, 0o640);
    const inode = statSync(path).ino;
    const renames: string[] = [];
    const busyOnTarget = async (from: string, to: string) => {
      renames.push(to);
      if (to === path)
        throw Object.assign(new Error(`EBUSY: rename '${from}' -> '${to}'`), { code: 'EBUSY' });
      await fsp.rename(from, to);
    };
    const m = fileDns(busyOnTarget);
    await m.apply(PUSHED);
    assert.ok(renames.includes(path), 'the rename was tried first');
    assert.equal(readFileSync(path, 'utf8'), renderResolvConf(PUSHED));
    assert.equal(statSync(path).ino, inode, 'the same file, written in place');
    await fileDns(busyOnTarget).restore(); // as at the next start
    assert.ok(readFileSync(path).equals(ORIGINAL));
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.equal(statSync(path).ino, inode);
    assert.deepEqual(readdirSync(dir).sort(), ['resolv.conf', 'state'], 'no temporary file is left behind');
  });

  it('another rename failure is an error, not a write in place', async () => {
    writeFileSync(path, ORIGINAL);
    const denied = async () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    await assert.rejects(fileDns(denied).apply(PUSHED), { code: 'EACCES' });
    assert.ok(readFileSync(path).equals(ORIGINAL));
    await fileDns().restore(); // the record was written first: restore still puts the original back
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });
});

const UNSHARE = '/usr/bin/unshare';
const MOUNT = '/usr/bin/mount';
const peers = needPeers({ binaries: [UNSHARE, MOUNT], root: true, apt: 'util-linux mount' });

describe('FileDns on a real bind mount', { skip: peers.skip }, () => {
  it('rewrites the bind-mounted file in place and restores it byte for byte, the mount kept', async () => {
    writeFileSync(join(dir, 'host-resolv.conf'), ORIGINAL);
    chmodSync(join(dir, 'host-resolv.conf'), 0o640);
    writeFileSync(path, ''); // the mount point
    const child = fileURLToPath(new URL('./testing/bind-mount-child.ts', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        UNSHARE,
        ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', child, dir],
        { timeout: 30_000 },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      ),
    );
    const r = JSON.parse(stdout);
    assert.equal(r.wasMounted, true);
    assert.equal(r.afterApply, renderResolvConf({ servers: ['10.8.0.1'], searchDomains: ['corp.example'] }));
    assert.deepEqual(r.serversApplied, ['10.8.0.1']);
    assert.ok(Buffer.from(r.restoredB64, 'base64').equals(ORIGINAL));
    assert.equal(r.restoredMode, 0o640);
    assert.equal(r.stillMounted, true);
    assert.equal(readFileSync(path, 'utf8'), '', 'the host never saw the mount: its own file is untouched');
  });
});
