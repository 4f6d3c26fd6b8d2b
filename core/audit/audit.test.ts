import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { type ChainedEvent, chainHash, findChainBreak, GENESIS_HASH } from './chain.js';
import { AuditEventSchema, buildAuditEvent, isAuditEvent } from './event.js';
import { pseudonymousUserId } from './pseudonym.js';

const ctx = { env: 'test', site: 'lab', tenant_id: 't-default' };
const MANDATORY = `timestamp, env, site, tenant_id, user_id, device_id, session_id,
src_ip, src_port, dst_ip, dst_port, proto, asn, country,
component, action, result, severity,
fwknop_id, tls_ja3, ovpn_virtual_ip, policy_id,
trace_id, cmd, rc, bytes_in, bytes_out, duration_ms, error_code, error_msg`
  .split(/[\s,]+/)
  .filter(Boolean);

describe('audit event', () => {
  it('carries exactly the mandatory fields of pki-siem §3.5, null where not applicable', () => {
    const e = buildAuditEvent(ctx, { component: 'backend', action: 'auth.login', result: 'success' });
    assert.deepEqual(Object.keys(e).sort(), [...MANDATORY].sort());
    // Plus two extensions, absent unless known (so older events hash as they were written).
    assert.deepEqual(
      Object.keys(AuditEventSchema.properties).sort(),
      [...MANDATORY, 'gateway', 'tls_ja4'].sort(),
    );
    assert.equal(e.device_id, null);
    assert.equal(e.severity, 'info');
    assert.ok(isAuditEvent(e));
  });

  it('carries the extension fields only when they are known', () => {
    const ja4 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
    const known = buildAuditEvent(ctx, {
      component: 'gateway',
      action: 'tls.handshake',
      result: 'success',
      gateway: 'gw-a',
      tls_ja4: ja4,
    });
    assert.deepEqual([known.gateway, known.tls_ja4], ['gw-a', ja4]);
    const unknown = buildAuditEvent(ctx, {
      component: 'gateway',
      action: 'tls.handshake',
      result: 'success',
      gateway: null,
      tls_ja4: null,
    });
    assert.ok(!('gateway' in unknown) && !('tls_ja4' in unknown));
    assert.throws(
      () =>
        buildAuditEvent(ctx, {
          component: 'backend',
          action: 'tls.handshake',
          result: 'failure',
          tls_ja4: 'x',
        }),
      (e) => isViworksError(e, 'VIW_E_VALIDATION'),
    );
  });

  it('derives severity from the result unless given', () => {
    assert.equal(
      buildAuditEvent(ctx, { component: 'backend', action: 'auth.otp_verify', result: 'denied' }).severity,
      'warning',
    );
    assert.equal(
      buildAuditEvent(ctx, {
        component: 'gateway',
        action: 'forcecmd.invalid',
        result: 'denied',
        severity: 'critical',
      }).severity,
      'critical',
    );
  });

  it('rejects unknown fields, non-pseudonymous user ids and malformed values', () => {
    const base = { component: 'backend', action: 'auth.login', result: 'failure' } as const;
    for (const bad of [
      { ...base, password: 'x' },
      { ...base, user_id: 'alice' },
      { ...base, action: 'Login' },
      { ...base, src_port: 70000 },
      { ...base, error_code: 'E_BAD' },
      { ...base, error_msg: 'line\nbreak' },
    ]) {
      assert.throws(
        () => buildAuditEvent(ctx, bad as never),
        (e) => isViworksError(e, 'VIW_E_VALIDATION'),
        JSON.stringify(bad),
      );
    }
  });

  it('pseudonymizes user ids stably per key and not across keys', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const a = pseudonymousUserId(k1, 'user-123');
    assert.match(a, /^u-[0-9a-f]{24}$/);
    assert.equal(pseudonymousUserId(k1, 'user-123'), a);
    assert.notEqual(pseudonymousUserId(k2, 'user-123'), a);
    assert.notEqual(pseudonymousUserId(k1, 'user-124'), a);
    assert.ok(!a.includes('user'));
    assert.throws(() => pseudonymousUserId(randomBytes(16), 'x'), RangeError);
    const e = buildAuditEvent(ctx, {
      component: 'backend',
      action: 'auth.login',
      result: 'success',
      user_id: a,
    });
    assert.equal(e.user_id, a);
  });
});

describe('audit hash chain', () => {
  function chain(n: number): ChainedEvent[] {
    const out: ChainedEvent[] = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const event = buildAuditEvent(ctx, {
        component: 'backend',
        action: 'admin.user_create',
        result: 'success',
        rc: i,
      });
      const hash = chainHash(prev, event);
      out.push({ seq: i, event, prevHash: prev, hash });
      prev = hash;
    }
    return out;
  }

  it('verifies an intact chain and pinpoints a modified, removed or reordered event', () => {
    const c = chain(5);
    assert.equal(findChainBreak(c), null);
    const modified = c.map((e) =>
      e.seq === 3 ? { ...e, event: { ...e.event, result: 'failure' as const } } : e,
    );
    assert.equal(findChainBreak(modified), 3);
    assert.equal(findChainBreak(c.filter((e) => e.seq !== 2)), 3);
    assert.equal(findChainBreak([c[0]!, c[2]!, c[1]!, c[3]!, c[4]!]), 3);
  });

  it('hashes independently of key order', () => {
    const e = chain(1)[0]!;
    const reordered = Object.fromEntries(Object.entries(e.event).reverse()) as typeof e.event;
    assert.equal(chainHash(GENESIS_HASH, reordered), e.hash);
  });
});
