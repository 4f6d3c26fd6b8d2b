import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { ensureFirstAdmin, type FirstAdminStore, takeAdminPasswordFromEnv } from '../admin/first-admin.js';
import { generateOneTimePassword, hashPassword, verifyPassword } from './passwords.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('verifies the right password only, with parameters stored in the hash', async () => {
    const h = await hashPassword('correct horse battery', FAST);
    assert.match(h, /^scrypt\$N=1024,r=8,p=1\$/);
    assert.equal(await verifyPassword('correct horse battery', h), true);
    assert.equal(await verifyPassword('correct horse batterY', h), false);
    assert.equal(await verifyPassword('', h), false);
    assert.notEqual(await hashPassword('correct horse battery', FAST), h, 'salted');
  });

  it('uses N=2^15 by default and refuses malformed or abusive stored hashes', async () => {
    assert.match(await hashPassword('x'), /^scrypt\$N=32768,r=8,p=1\$/);
    assert.equal(await verifyPassword('x', 'plain'), false);
    assert.equal(await verifyPassword('x', 'scrypt$N=4294967296,r=8,p=1$AAAA$AAAA'), false);
    await assert.rejects(hashPassword('x'.repeat(2000)), RangeError);
  });

  it('generates 20-character one-time passwords without ambiguous characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateOneTimePassword();
      assert.match(p, /^[A-HJ-NP-Za-km-z2-9]{20}$/);
      seen.add(p);
    }
    assert.equal(seen.size, 200);
  });
});

describe('first administrator', () => {
  function memoryStore() {
    const users: { username: string; passwordHash: string }[] = [];
    const store: FirstAdminStore = {
      countUsers: async () => users.length,
      createAdmin: async (u) => {
        users.push(u);
      },
    };
    return { users, store };
  }

  it('is created once, with a generated one-time password that verifies', async () => {
    const { users, store } = memoryStore();
    const first = await ensureFirstAdmin(store);
    assert.ok(first?.oneTimePassword);
    assert.equal(users.length, 1);
    assert.equal(await verifyPassword(first.oneTimePassword, users[0]!.passwordHash), true);
    assert.equal(await ensureFirstAdmin(store), null);
    assert.equal(users.length, 1);
  });

  it('takes the automation password from the environment once, and never returns it', async () => {
    const env: NodeJS.ProcessEnv = { VIWORKS_ADMIN_PASSWORD: 'automation-pass-123' };
    const pw = takeAdminPasswordFromEnv(env);
    assert.equal(env.VIWORKS_ADMIN_PASSWORD, undefined);
    const { users, store } = memoryStore();
    const first = await ensureFirstAdmin(store, pw);
    assert.equal(first?.oneTimePassword, null);
    assert.equal(await verifyPassword('automation-pass-123', users[0]!.passwordHash), true);
    await assert.rejects(ensureFirstAdmin(memoryStore().store, 'short'), (e) =>
      isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});
