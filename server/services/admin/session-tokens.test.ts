import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryKv } from '../../kv/memory-kv.js';
import { newToken, tokenHash } from '../auth/tokens.js';
import { ADMIN_SESSION_LIMITS, AdminSessionTokens } from './session-tokens.js';

function fixture() {
  let t = Date.UTC(2026, 0, 1);
  const kv = new MemoryKv(() => t);
  const tokens = new AdminSessionTokens(kv, () => new Date(t));
  return {
    kv,
    tokens,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const MIN = 60_000;
const input = { userId: 'u1', scope: 'full' as const, epoch: 0, mfa: true };

describe('admin session tokens', () => {
  it('issue opaque viw_adm_ tokens whose claims come back while the session is live', async () => {
    const { tokens, kv } = fixture();
    const { token } = await tokens.issue(input);
    assert.match(token, /^viw_adm_[A-Za-z0-9_-]{43}$/);
    const claims = await tokens.authenticate(token);
    assert.equal(claims?.userId, 'u1');
    assert.equal(claims?.scope, 'full');
    await kv.close();
  });

  it('slide the idle deadline on use and end after 15 idle minutes', async () => {
    const { tokens, advance, kv } = fixture();
    const { token } = await tokens.issue(input);
    for (let i = 0; i < 6; i++) {
      advance(14 * MIN);
      assert.ok(await tokens.authenticate(token), `alive after ${(i + 1) * 14} active minutes`);
    }
    advance(15 * MIN + 1);
    assert.equal(await tokens.authenticate(token), null);
    await kv.close();
  });

  it('end at the absolute lifetime (8 h) however active the session is', async () => {
    const { tokens, advance, kv } = fixture();
    const { token } = await tokens.issue(input);
    const limit = ADMIN_SESSION_LIMITS.full.absoluteMs;
    for (let used = 0; used + 10 * MIN < limit; used += 10 * MIN) {
      advance(10 * MIN);
      assert.ok(await tokens.authenticate(token));
    }
    advance(10 * MIN);
    assert.equal(await tokens.authenticate(token), null);
    await kv.close();
  });

  it('setup sessions are short (15 min absolute)', async () => {
    const { tokens, advance, kv } = fixture();
    const { token } = await tokens.issue({ ...input, scope: 'setup', mfa: false });
    advance(9 * MIN);
    assert.ok(await tokens.authenticate(token));
    advance(7 * MIN);
    assert.equal(await tokens.authenticate(token), null);
    await kv.close();
  });

  it('revoke is final even if a racing request touches the idle marker afterwards', async () => {
    const { tokens, kv } = fixture();
    const { token } = await tokens.issue(input);
    await tokens.revoke(token);
    // A request that authenticated just before the logout now pushes the idle marker forward.
    await kv.set(`adm-idle:${tokenHash(token)}`, '1', 60_000);
    assert.equal(await tokens.authenticate(token), null);
    await kv.close();
  });

  it('peek sees a live session without sliding it: an open stream keeps no idle session alive', async () => {
    const { tokens, advance, kv } = fixture();
    const { token } = await tokens.issue(input);
    advance(10 * MIN);
    assert.equal((await tokens.peek(token))?.userId, 'u1');
    advance(5 * MIN + 1);
    // Had peek slid the deadline, the session would still be alive 15 min after its last use.
    assert.equal(await tokens.peek(token), null);
    assert.equal(await tokens.authenticate(token), null);

    const other = (await tokens.issue(input)).token;
    assert.ok(await tokens.peek(other));
    await tokens.revoke(other);
    assert.equal(await tokens.peek(other), null);
    assert.equal(await tokens.peek(newToken('adm')), null);
    await kv.close();
  });

  it('refuse forged, foreign-kind and malformed tokens', async () => {
    const { tokens, kv } = fixture();
    await tokens.issue(input);
    for (const forged of [newToken('adm'), newToken('at'), 'viw_adm_short', '']) {
      assert.equal(await tokens.authenticate(forged), null);
    }
    await kv.close();
  });
});
