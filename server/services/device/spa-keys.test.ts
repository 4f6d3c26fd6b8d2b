import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import { type Database, openDatabase } from '../../data/database.js';
import { enrolledDesktop } from '../../testing/client-fixtures.js';
import {
  dropDeviceSpaKeys,
  ensureDeviceSpaKeys,
  openSpaKeys,
  readDeviceSpaKeys,
  sealSpaKeys,
  spaUsername,
  wipeSpaKeys,
} from './spa-keys.js';

describe('per-device SPA keys', () => {
  let dir: string;
  let database: Database;
  const secrets = { spaWrapKey: randomBytes(32) };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-spa-'));
    database = await openDatabase({ dataDir: dir });
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const device = async () => (await enrolledDesktop({ db: database.db } as unknown as AppContext)).device;

  it('seals under the wrap key with the device id as AAD; another id, key or a flipped bit does not open', () => {
    const keys = { encKey: randomBytes(32), hmacKey: randomBytes(64) };
    const sealed = sealSpaKeys(secrets.spaWrapKey, 'dev-a', keys);
    const opened = openSpaKeys(secrets.spaWrapKey, 'dev-a', sealed);
    assert.deepEqual(Buffer.from(opened.encKey), keys.encKey);
    assert.deepEqual(Buffer.from(opened.hmacKey), keys.hmacKey);
    assert.ok(!sealed.includes(keys.encKey.toString('base64').slice(0, 16)));
    const raw = Buffer.from(sealed, 'base64');
    raw[20]! ^= 1;
    for (const [key, id, text] of [
      [secrets.spaWrapKey, 'dev-b', sealed],
      [randomBytes(32), 'dev-a', sealed],
      [secrets.spaWrapKey, 'dev-a', raw.toString('base64')],
      [secrets.spaWrapKey, 'dev-a', 'AAAA'],
    ] as const) {
      assert.throws(
        () => openSpaKeys(key, id, text),
        (e) => isViworksError(e, 'VIW_E_INTERNAL'),
      );
    }
    wipeSpaKeys(opened);
    assert.ok(opened.encKey.every((b) => b === 0) && opened.hmacKey.every((b) => b === 0));
  });

  it('makes keys once per device (also under concurrent first use) and keeps them', async () => {
    const d = await device();
    const deps = { db: database.db, secrets };
    assert.equal(await readDeviceSpaKeys(deps, d.id), null);
    const all = await Promise.all([1, 2, 3].map(() => ensureDeviceSpaKeys(deps, d.id)));
    const hex = all.map((k) => Buffer.concat([k.encKey, k.hmacKey]).toString('hex'));
    assert.equal(new Set(hex).size, 1);
    assert.equal(all[0]!.encKey.length, 32);
    assert.equal(all[0]!.hmacKey.length, 64);
    const later = await ensureDeviceSpaKeys(deps, d.id);
    assert.equal(Buffer.concat([later.encKey, later.hmacKey]).toString('hex'), hex[0]);
    const other = await ensureDeviceSpaKeys(deps, (await device()).id);
    assert.notEqual(other.encKey.toString('hex'), later.encKey.toString('hex'));
    assert.equal(spaUsername(d.id), `d-${d.id.replaceAll('-', '')}`);
    await dropDeviceSpaKeys(database.db, d.id);
    assert.equal(await readDeviceSpaKeys(deps, d.id), null);
  });
});
