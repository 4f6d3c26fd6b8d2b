// The FS_IMMUTABLE_FL binding: the ioctl numbers, the error mapping, and the real flag on a real
// ext4 file, cross-checked with e2fsprogs' lsattr/chattr (an independent reader of the same bits).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import {
  FS_IMMUTABLE_FL,
  failureOf,
  flagIoctls,
  ImmutableFlagError,
  type InodeFlags,
  inodeFlags,
  withInodeFd,
} from './immutable-flag.js';
import { lsattr, persistentTempDir, removeTree } from './testing.js';

describe('ioctl numbers and errno mapping', () => {
  it("encodes _IOR/_IOW('f', 1|2, long) as the kernel headers do on x86_64 and aarch64", () => {
    // printf("%#lx", FS_IOC_GETFLAGS) with gcc on x86_64 Debian 12 prints these; arm64 has no
    // asm/ioctl.h of its own and takes asm-generic's, the same layout with the same 8-byte long.
    for (const arch of ['x64', 'arm64']) {
      assert.deepEqual(flagIoctls(arch), { getFlags: 0x80086601, setFlags: 0x40086602 }, arch);
    }
  });

  it('refuses architectures whose encoding it does not know instead of guessing', () => {
    for (const arch of ['ia32', 'arm', 'ppc64', 'mips']) {
      assert.throws(
        () => flagIoctls(arch),
        (e) => e instanceof ImmutableFlagError && e.failure === 'unsupported',
      );
    }
  });

  it('maps errno to causes an operator can act on', () => {
    assert.equal(failureOf('EPERM'), 'no-capability');
    for (const e of ['ENOTTY', 'EOPNOTSUPP', 'EINVAL']) assert.equal(failureOf(e), 'unsupported');
    assert.equal(failureOf('EROFS'), 'read-only');
    assert.equal(failureOf('EIO'), 'other');
  });
});

describe('FS_IMMUTABLE_FL on a real file (root)', {
  skip: needPeers({ root: true, binaries: ['/usr/bin/lsattr', '/usr/bin/chattr'], apt: 'e2fsprogs' }).skip,
}, () => {
  let dir: string;
  let flags: InodeFlags;
  before(async () => {
    dir = persistentTempDir('viw-immflag-');
    flags = await inodeFlags();
  });
  after(async () => {
    await removeTree(dir);
  });

  it('sets and clears the flag, as lsattr sees it, keeping the other flags', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    execFileSync('chattr', ['+d', file]); // nodump: a bit we must not lose
    assert.doesNotMatch(lsattr(file), /i/);
    withInodeFd(file, (fd) => flags.set(fd));
    assert.match(lsattr(file), /i/);
    assert.match(lsattr(file), /d/);
    assert.ok(withInodeFd(file, (fd) => flags.isImmutable(fd)));
    assert.throws(() => writeFileSync(file, 'y'), { code: 'EPERM' });
    withInodeFd(file, (fd) => flags.clear(fd));
    assert.doesNotMatch(lsattr(file), /i/);
    assert.match(lsattr(file), /d/);
    writeFileSync(file, 'y');
    assert.equal(readFileSync(file, 'utf8'), 'y');
  });

  it('reads a flag set by chattr', () => {
    const file = join(dir, 'g');
    writeFileSync(file, 'x');
    execFileSync('chattr', ['+i', file]);
    assert.equal(withInodeFd(file, (fd) => flags.get(fd)) & FS_IMMUTABLE_FL, FS_IMMUTABLE_FL);
    withInodeFd(file, (fd) => flags.clear(fd));
  });

  it('does not follow a symlink to reach a file', () => {
    const file = join(dir, 'h');
    writeFileSync(file, 'x');
    symlinkSync(file, join(dir, 'link'));
    assert.throws(() => withInodeFd(join(dir, 'link'), (fd) => flags.set(fd)), { code: 'ELOOP' });
    assert.doesNotMatch(lsattr(file), /i/);
  });

  it('reports a file without such flags (procfs: ENOTTY) as unsupported', () => {
    assert.throws(
      () => withInodeFd('/proc/self/status', (fd) => flags.get(fd)),
      (e) => e instanceof ImmutableFlagError && e.errno === 'ENOTTY' && e.failure === 'unsupported',
    );
  });
});
