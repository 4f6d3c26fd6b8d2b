import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../data/database.js';
import { notePhoneSeen, SEEN_RESOLUTION_MS } from './seen.js';

describe('phone last seen', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-seen-'));
    database = await openDatabase({ dataDir: dir });
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function phone() {
    const db = database.db;
    const user = await db.user.create({
      data: {
        username: `u-${randomBytes(4).toString('hex')}`,
        role: 'User',
        passwordHash: 'x',
        kdfParams: '{}',
      },
    });
    return db.mobileDevice.create({
      data: {
        userId: user.id,
        platform: 'android',
        publicKey: randomBytes(32).toString('base64url'),
        fingerprint: randomBytes(32).toString('hex'),
        attestationType: 'none',
        status: 'active',
      },
    });
  }
  const seenAt = async (id: string) =>
    (await database.db.mobileDevice.findUniqueOrThrow({ where: { id } })).lastSeenAt?.getTime() ?? null;

  it('is written once per resolution, also when two instances hold the same stale row', async () => {
    const p = await phone();
    const t0 = Date.parse('2030-01-01T00:00:00.000Z');
    await notePhoneSeen(database.db, p, new Date(t0));
    assert.equal(await seenAt(p.id), t0);
    // Another instance loaded the row before that write: its conditional update must not move it.
    await notePhoneSeen(database.db, p, new Date(t0 + SEEN_RESOLUTION_MS - 1));
    assert.equal(await seenAt(p.id), t0);
    // A fresh row within the resolution: nothing is even asked of the database.
    await notePhoneSeen(database.db, { id: p.id, lastSeenAt: new Date(t0) }, new Date(t0 + 1000));
    assert.equal(await seenAt(p.id), t0);
    // Past the resolution it moves.
    await notePhoneSeen(
      database.db,
      { id: p.id, lastSeenAt: new Date(t0) },
      new Date(t0 + SEEN_RESOLUTION_MS),
    );
    assert.equal(await seenAt(p.id), t0 + SEEN_RESOLUTION_MS);
  });
});
