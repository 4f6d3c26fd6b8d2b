// The WORM archive on a real ext4 directory, as root: what put() leaves is immutable for root too
// (lsattr agrees), a name is written once, bad names never reach the disk.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import type { AuditArchive } from '../archive.js';
import { openWormArchive } from './directory-archive.js';
import { lsattr, persistentTempDir, removeTree } from './testing.js';

const peers = needPeers({ root: true, binaries: ['/usr/bin/lsattr'], apt: 'e2fsprogs' });

/** Every file under `dir`, relative, sorted (dot-files included: temp litter would show). */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
      return e.isDirectory() ? filesUnder(dir, rel) : [rel];
    })
    .sort();
}

describe('WORM directory archive: put (root, ext4)', { skip: peers.skip }, () => {
  let root: string;
  let archive: AuditArchive;
  beforeEach(async () => {
    root = persistentTempDir('viw-worm-');
    archive = await openWormArchive({ dir: join(root, 'worm'), retentionDays: 30 });
  });
  afterEach(async () => {
    await removeTree(root);
  });

  it('creates the directory 0700 and leaves nothing of the probe behind', () => {
    assert.equal(archive.dir, join(root, 'worm'));
    assert.equal(statSync(archive.dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(archive.dir), []);
  });

  it('writes the bytes, read-only and immutable (lsattr shows i), in 0700 parents', async () => {
    const data = Buffer.from('{"seq":1}\n');
    await archive.put('batches/000000000001.ndjson', data);
    const file = join(archive.dir, 'batches/000000000001.ndjson');
    assert.deepEqual(readFileSync(file), data);
    assert.match(lsattr(file), /i/);
    assert.equal(statSync(file).mode & 0o777, 0o400);
    assert.equal(statSync(join(archive.dir, 'batches')).mode & 0o777, 0o700);
    assert.deepEqual(filesUnder(archive.dir), ['batches/000000000001.ndjson'], 'no temp file left');
  });

  it('refuses every change to a written file, to root as well (EPERM)', async () => {
    const data = Buffer.from('sealed batch');
    await archive.put('batches/1.ndjson', data);
    const file = join(archive.dir, 'batches/1.ndjson');
    const other = join(archive.dir, 'other');
    writeFileSync(other, 'replacement');
    const attempts: Record<string, () => void> = {
      overwrite: () => writeFileSync(file, 'forged'),
      append: () => appendFileSync(file, 'more'),
      truncate: () => truncateSync(file, 0),
      unlink: () => unlinkSync(file),
      'rename over it': () => renameSync(other, file),
      'rename it away': () => renameSync(file, join(archive.dir, 'moved')),
      chmod: () => chmodSync(file, 0o600),
      'hard link': () => linkSync(file, join(archive.dir, 'alias')),
      'utimes (retention clock)': () => utimesSync(file, new Date(0), new Date(0)),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      assert.throws(attempt, { code: 'EPERM' }, what);
    }
    assert.deepEqual(readFileSync(file), data);
    assert.equal(statSync(file).mode & 0o777, 0o400);
    assert.match(lsattr(file), /i/);
  });

  it('treats the same bytes again as a no-op and other bytes as VIW_E_CONFLICT', async () => {
    const data = Buffer.from('manifest v1');
    await archive.put('manifests/1.json', data);
    const file = join(archive.dir, 'manifests/1.json');
    const before = statSync(file);
    await archive.put('manifests/1.json', Buffer.from('manifest v1'));
    const again = statSync(file);
    assert.equal(again.ino, before.ino);
    assert.equal(again.mtimeMs, before.mtimeMs);
    for (const other of ['manifest v2', 'manifest v1 and more', '']) {
      await assert.rejects(
        archive.put('manifests/1.json', Buffer.from(other)),
        (e) => isViworksError(e, 'VIW_E_CONFLICT'),
        other,
      );
    }
    assert.deepEqual(readFileSync(file), data);
    assert.deepEqual(filesUnder(archive.dir), ['manifests/1.json']);
  });

  it('makes a file immutable that a crash left writable, when the same bytes are put again', async () => {
    const file = join(archive.dir, 'batches/7.ndjson');
    await archive.put('batches/6.ndjson', Buffer.from('six'));
    writeFileSync(file, 'seven');
    assert.doesNotMatch(lsattr(file), /i/);
    await archive.put('batches/7.ndjson', Buffer.from('seven'));
    assert.match(lsattr(file), /i/);
  });

  it('lets exactly one of concurrent puts of different bytes win, and all of equal bytes pass', async () => {
    const same = await Promise.allSettled(
      Array.from({ length: 5 }, () => archive.put('batches/s.ndjson', Buffer.from('same'))),
    );
    assert.deepEqual(
      same.map((r) => r.status),
      Array(5).fill('fulfilled'),
    );
    const rivals = Array.from({ length: 5 }, (_, i) => Buffer.from(`rival ${i}`));
    const raced = await Promise.allSettled(rivals.map((b) => archive.put('batches/r.ndjson', b)));
    const won = raced.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1);
    for (const r of raced) {
      if (r.status === 'rejected') assert.ok(isViworksError(r.reason, 'VIW_E_CONFLICT'));
    }
    assert.deepEqual(readFileSync(join(archive.dir, 'batches/r.ndjson')), rivals[won[0]!]);
    assert.deepEqual(filesUnder(archive.dir), ['batches/r.ndjson', 'batches/s.ndjson'], 'no temp left');
  });

  it('refuses a parent path taken by a file or a symlink, writing nothing outside', async () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(archive.dir, 'linked'));
    writeFileSync(join(archive.dir, 'plain'), 'x');
    for (const name of ['linked/1.json', 'linked/deeper/1.json', 'plain/1.json']) {
      await assert.rejects(
        archive.put(name, Buffer.from('x')),
        (e) => isViworksError(e, 'VIW_E_CONFLICT'),
        name,
      );
    }
    assert.deepEqual(readdirSync(outside), []);
    assert.deepEqual(filesUnder(archive.dir), ['linked', 'plain']);
  });

  it('refuses bad names before touching the disk', async () => {
    const bad = [
      '',
      '/etc/passwd',
      '../escape',
      'batches/../../escape',
      'a..b',
      'batches//1',
      'batches/',
      './1',
      '.hidden',
      'batches/.1.tmp',
      'Batches/1',
      'batches\\1',
      'batch es/1',
      'batches/é',
      'x'.repeat(201),
    ];
    for (const name of bad) {
      await assert.rejects(
        archive.put(name, Buffer.from('x')),
        (e) => isViworksError(e, 'VIW_E_VALIDATION'),
        JSON.stringify(name),
      );
    }
    assert.deepEqual(filesUnder(archive.dir), []);
    assert.deepEqual(readdirSync(root), ['worm'], 'nothing written beside the archive');
    await archive.put('x'.repeat(200), Buffer.from('longest name'));
    await archive.put('a-b_c.d/0.9', Buffer.from('all allowed characters'));
  });
});
