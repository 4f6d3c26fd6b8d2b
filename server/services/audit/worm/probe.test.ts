// The start-up probe against the places a WORM directory must not be trusted: memory filesystems
// (/dev/shm, a ramfs), a read-only mount, a path that is a file, and a process without
// CAP_LINUX_IMMUTABLE (a real child, its capability dropped by setpriv). Each refusal must be
// VIW_E_CONFIG naming audit.worm.dir and the cause in words, and leave no probe file behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isViworksError, type ViworksError } from '../../../../core/errors/viworks-error.js';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import { openWormArchive } from './directory-archive.js';
import { inodeFlags, withInodeFd } from './immutable-flag.js';
import { PROBE_PREFIX } from './probe.js';
import { lsattr, mountScratch, persistentTempDir, removeTree, unmountScratch } from './testing.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../../..');
const CAP_LINUX_IMMUTABLE = 9;
const peers = needPeers({
  root: true,
  binaries: ['/usr/bin/setpriv', '/usr/bin/mount', '/usr/bin/umount', '/usr/bin/lsattr'],
  apt: 'util-linux e2fsprogs',
});

async function refusal(dir: string): Promise<ViworksError> {
  const err = await openWormArchive({ dir, retentionDays: 1 }).then(
    () => assert.fail(`the probe accepted ${dir}`),
    (e: unknown) => e,
  );
  assert.ok(isViworksError(err, 'VIW_E_CONFIG'), String(err));
  assert.equal(err.details.length, 1);
  assert.ok(err.details[0]!.startsWith(`audit.worm.dir: ${dir}: `), err.details[0]);
  assert.doesNotMatch(err.details[0]!, /\n|\s+at\s.*:\d+:\d+/, 'no stack in what the operator sees');
  return err;
}

/** The probe in a child whose capabilities are limited as `setpriv` says (none: unchanged). */
function probeInChild(dir: string, setpriv: readonly string[]): { capEff: bigint; outcome: string } {
  const script = `
    import { readFileSync } from 'node:fs';
    const { openWormArchive } = await import(${JSON.stringify(`${REPO}/server/services/audit/worm/directory-archive.ts`)});
    const capEff = /CapEff:\\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
    let outcome;
    try {
      await openWormArchive({ dir: process.argv[1], retentionDays: 1 });
      outcome = { ok: true };
    } catch (e) {
      outcome = { code: e.code, details: e.details };
    }
    process.stdout.write(JSON.stringify({ capEff, outcome }));
  `;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, dir];
  const [cmd, ...args] = setpriv.length > 0 ? ['setpriv', ...setpriv, '--', ...node] : node;
  const out = JSON.parse(execFileSync(cmd!, args, { cwd: REPO, encoding: 'utf8', timeout: 60_000 }));
  return { capEff: BigInt(`0x${out.capEff}`), outcome: JSON.stringify(out.outcome) };
}

describe('WORM start-up probe (root)', { skip: peers.skip, timeout: 120_000 }, () => {
  let root: string;
  let shm: string;
  before(() => {
    root = persistentTempDir('viw-wormprobe-');
    shm = mkdtempSync('/dev/shm/viw-wormprobe-');
  });
  after(async () => {
    for (const m of ['ramfs', 'ro']) unmountScratch(join(root, m));
    await removeTree(shm);
    await removeTree(root);
  });

  it('accepts a directory on ext4, creating it 0700, and clears a probe a crash left immutable', async () => {
    const dir = join(root, 'ok');
    mkdirSync(dir, { mode: 0o700 });
    const stale = join(dir, `${PROBE_PREFIX}0123456789abcdef`);
    writeFileSync(stale, 'left by a crash');
    const flags = await inodeFlags();
    withInodeFd(stale, (fd) => flags.set(fd));
    assert.match(lsattr(stale), /i/);
    const archive = await openWormArchive({ dir, retentionDays: 1 });
    assert.deepEqual(readdirSync(dir), []);
    const nested = await openWormArchive({ dir: join(root, 'new/deeper'), retentionDays: 1 });
    assert.equal(statSync(nested.dir).mode & 0o777, 0o700);
    assert.equal(archive.dir, dir);
  });

  it('refuses tmpfs (/dev/shm) and says why', async () => {
    const dir = join(shm, 'worm');
    const err = await refusal(dir);
    assert.match(err.details[0]!, /tmpfs/);
    assert.match(err.details[0]!, /immutable files/);
    assert.deepEqual(readdirSync(dir), [], 'no probe file left');
  });

  it('refuses a filesystem without the flag (ramfs: ENOTTY)', async () => {
    const mount = join(root, 'ramfs');
    mountScratch(mount, 'ramfs');
    const err = await refusal(mount);
    assert.match(err.details[0]!, /\(ramfs\) has no immutable files \(FS_IMMUTABLE_FL: ENOTTY\)/);
    assert.deepEqual(readdirSync(mount), [], 'no probe file left');
  });

  it('refuses a read-only filesystem as not writable', async () => {
    const mount = join(root, 'ro');
    mountScratch(mount, 'tmpfs', 'ro,size=1m,mode=0700');
    const err = await refusal(mount);
    assert.match(err.details[0]!, /not writable \(read-only filesystem\)/);
  });

  it('refuses a path that is a file', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const err = await refusal(file);
    assert.match(err.details[0]!, /not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('refuses, without hanging, where no directory can be made (/proc, a dangling symlink)', async () => {
    // Node's own recursive mkdir spins forever on both; the timeout turns a hang into a failure.
    const dangling = join(root, 'dangling');
    symlinkSync(join(root, 'nowhere'), dangling);
    for (const dir of ['/proc/viworks-worm-test/x', join(dangling, 'worm')]) {
      const err = await refusal(dir);
      assert.match(err.details[0]!, /cannot be created there \(ENOENT/);
    }
  });

  it('refuses in a process without CAP_LINUX_IMMUTABLE, naming the capability', () => {
    const dir = join(root, 'nocap');
    const control = probeInChild(dir, []);
    assert.equal(control.outcome, '{"ok":true}', 'the same child with the capability is accepted');
    const child = probeInChild(dir, ['--inh-caps=-all', '--bounding-set=-linux_immutable']);
    assert.equal(child.capEff & (1n << BigInt(CAP_LINUX_IMMUTABLE)), 0n, 'the child really lacks it');
    const outcome = JSON.parse(child.outcome) as { code: string; details: string[] };
    assert.equal(outcome.code, 'VIW_E_CONFIG');
    assert.match(outcome.details[0]!, new RegExp(`^audit\\.worm\\.dir: ${dir}: .*CAP_LINUX_IMMUTABLE`));
    assert.match(outcome.details[0]!, /run the server as root or grant/);
    assert.deepEqual(readdirSync(dir), [], 'no probe file left');
  });
});
