// The retention sweep on a real ext4 WORM directory (root): files are not back-dated (their mtime
// cannot move once immutable); the clock is moved instead, by passing `now` in the future.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import type { AuditArchive } from '../archive.js';
import { openWormArchive } from './directory-archive.js';
import { inodeFlags, withInodeFd } from './immutable-flag.js';
import { WormSweepIncomplete } from './sweep.js';
import { lsattr, persistentTempDir, removeTree } from './testing.js';

const DAY_MS = 86_400_000;
const peers = needPeers({ root: true, binaries: ['/usr/bin/lsattr'], apt: 'e2fsprogs' });

describe('WORM retention sweep (root, ext4)', { skip: peers.skip }, () => {
  let root: string;
  let archive: AuditArchive;
  /** A moment strictly between the old files' mtimes and the new ones'. */
  let boundary: Date;

  beforeEach(async () => {
    root = persistentTempDir('viw-wormsweep-');
    archive = await openWormArchive({ dir: join(root, 'worm'), retentionDays: 2 });
    await archive.put('batches/1.ndjson', Buffer.from('one'));
    await archive.put('manifests/1.json', Buffer.from('m1'));
    await archive.put('top-level.json', Buffer.from('t'));
    await sleep(30);
    boundary = new Date();
    await sleep(30);
    await archive.put('batches/2.ndjson', Buffer.from('two'));
    await archive.put('manifests/2.json', Buffer.from('m2'));
  });
  afterEach(async () => {
    await removeTree(root);
  });

  const at = (base: Date, days: number) => new Date(base.getTime() + days * DAY_MS);
  const exists = (name: string) => existsSync(join(archive.dir, name));

  it('removes nothing while every file is within the retention', async () => {
    assert.equal(await archive.sweep(new Date()), 0);
    assert.equal(await archive.sweep(at(boundary, 1)), 0);
    for (const n of ['batches/1.ndjson', 'manifests/1.json', 'top-level.json', 'batches/2.ndjson']) {
      assert.ok(exists(n), n);
    }
  });

  it('removes exactly the files older than the retention, batches and manifests alike', async () => {
    assert.equal(await archive.sweep(at(boundary, 2)), 3);
    assert.ok(!exists('batches/1.ndjson'));
    assert.ok(!exists('manifests/1.json'));
    assert.ok(!exists('top-level.json'));
    assert.ok(exists('batches/2.ndjson'));
    assert.ok(exists('manifests/2.json'));
    assert.match(lsattr(join(archive.dir, 'batches/2.ndjson')), /i/, 'the kept ones stay immutable');
    assert.equal(await archive.sweep(at(boundary, 2)), 0, 'a second sweep finds nothing more');
    assert.equal(await archive.sweep(at(new Date(), 3)), 2);
    assert.deepEqual(readdirSync(join(archive.dir, 'batches')), []);
  });

  it('never follows a symlink out of the directory', async () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'not ours');
    symlinkSync(join(outside, 'precious'), join(archive.dir, 'file-link'));
    symlinkSync(outside, join(archive.dir, 'dir-link'));
    assert.equal(await archive.sweep(at(new Date(), 30)), 5);
    assert.ok(existsSync(join(outside, 'precious')));
    assert.deepEqual(readdirSync(archive.dir).sort(), ['batches', 'dir-link', 'file-link', 'manifests']);
  });

  it('leaves a file it cannot remove in place, still immutable, and reports it after the rest', async () => {
    const flags = await inodeFlags();
    // An immutable parent directory refuses the unlink even once the file's own flag is off.
    withInodeFd(join(archive.dir, 'manifests'), (fd) => flags.set(fd));
    const err = await archive.sweep(at(boundary, 2)).then(
      () => assert.fail('the sweep should report the file it left'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WormSweepIncomplete);
    assert.ok(isViworksError(err, 'VIW_E_INTERNAL'));
    assert.equal(err.removed, 2);
    assert.deepEqual(err.left, [{ name: 'manifests/1.json', cause: 'EPERM' }]);
    assert.deepEqual(err.details, ['manifests/1.json: EPERM']);
    assert.ok(!exists('batches/1.ndjson'));
    assert.ok(exists('manifests/1.json'));
    assert.match(lsattr(join(archive.dir, 'manifests/1.json')), /i/, 'its flag is back on');
  });
});
