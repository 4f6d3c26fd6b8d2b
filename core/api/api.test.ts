// The wire contracts themselves: closed objects, bounded strings, the fingerprint definitions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { deviceFingerprint, phoneFingerprint } from '../crypto/fingerprints.js';
import { strictValidator } from '../schema/strict.js';
import { CreateUserBody, LoginBody, PasswordChangeBody } from './admin.js';
import {
  LoginRequestSchema,
  PasswordChangeRequestSchema,
  VerifyReplySchema,
  VerifyRequestSchema,
} from './auth.js';
import { decodeKey32, encodeKey32, newPasswordProblems, PASSWORD_POLICY } from './common.js';
import { EnrollRequestSchema } from './device.js';
import { BindRequestSchema } from './mobile.js';

const key = (fill: number) => encodeKey32(new Uint8Array(32).fill(fill));

describe('core/api contracts', () => {
  it('close every request object and bound its strings', () => {
    const login = strictValidator(LoginRequestSchema);
    const ok = {
      username: 'u1',
      password: 'p',
      device_id: '01a20720-4121-72e5-bb56-9b56fad112b9',
      device_nonce: 'n'.repeat(16),
    };
    assert.ok(login.check(ok));
    assert.ok(!login.check({ ...ok, extra: 1 }));
    assert.ok(!login.check({ ...ok, password: 'p'.repeat(257) }));
    assert.ok(!login.check({ ...ok, username: 'has space' }));
    assert.ok(!login.check({ ...ok, device_nonce: 'short' }));
    const verify = strictValidator(VerifyRequestSchema);
    assert.ok(verify.check({ txn_id: `viw_tx_${'a'.repeat(43)}`, otp_code: '012345' }));
    assert.ok(!verify.check({ txn_id: `viw_tx_${'a'.repeat(43)}`, otp_code: '12345' }));
    const enroll = strictValidator(EnrollRequestSchema);
    const e = {
      hpke_public_key: key(1),
      signing_public_key: key(2),
      fingerprint: 'a'.repeat(64),
      platform: 'linux',
      client_version: '1.2.3-rc.1',
      key_protection: 'hardware',
      username: 'u1',
      password: 'p',
    };
    assert.ok(enroll.check(e));
    assert.ok(!enroll.check({ ...e, fingerprint: 'A'.repeat(64) }));
    assert.ok(!enroll.check({ ...e, enrollment_token: 'viw_et_short' }));
    const bind = strictValidator(BindRequestSchema);
    const b = { bind_code: 'ABCDEFGHJK', platform: 'ios', public_key: key(3), attestation: { type: 'none' } };
    assert.ok(bind.check(b));
    assert.ok(!bind.check({ ...b, attestation: { type: 'none', verdict: 'pass' } }));
    assert.ok(!bind.check({ ...b, attestation: { type: 'safetynet' } }));
    // The native apps' evidence: each type with exactly its own fields, sizes capped.
    const play = { type: 'play_integrity', token: 'eyJh.Yg.Yw.Zg.aA' };
    assert.ok(bind.check({ ...b, attestation: play }));
    assert.ok(!bind.check({ ...b, attestation: { ...play, token: 'x'.repeat(16_385) } }));
    assert.ok(!bind.check({ ...b, attestation: { type: 'play_integrity', evidence: play.token } }));
    const apple = { type: 'app_attest', key_id: `${'A'.repeat(43)}=`, attestation_object: 'o2NmbXQ' };
    assert.ok(bind.check({ ...b, attestation: apple }));
    assert.ok(!bind.check({ ...b, attestation: { ...apple, key_id: 'A'.repeat(44) } }));
    assert.ok(!bind.check({ ...b, attestation: { ...apple, token: play.token } }));
    assert.ok(!bind.check({ ...b, attestation: { ...play, type: 'app_attest' } }));
  });

  it('apply one username rule to admin creation, admin login, desktop login and enrollment', () => {
    const base = {
      admin_create: [CreateUserBody, { role: 'User' }],
      admin_login: [LoginBody, { password: 'p' }],
      desktop_login: [
        LoginRequestSchema,
        { password: 'p', device_id: '01a20720-4121-72e5-bb56-9b56fad112b9', device_nonce: 'n'.repeat(16) },
      ],
      desktop_enroll: [
        EnrollRequestSchema,
        {
          hpke_public_key: key(1),
          signing_public_key: key(2),
          fingerprint: 'a'.repeat(64),
          platform: 'linux',
          client_version: '1.0.0',
          key_protection: 'software',
          password: 'p',
        },
      ],
    } as const;
    const good = ['admin', 'j.doe@corp.example', 'user-1', 'a_b', '0x', 'x'.repeat(64)];
    const bad = ['Alice', 'a', 'has space', '-dash', '.dot', 'x'.repeat(65), 'tab\there', 'ünï', 'a/b', ''];
    for (const [edge, [schema, rest]] of Object.entries(base)) {
      const v = strictValidator(schema);
      for (const username of good) assert.ok(v.check({ ...rest, username }), `${edge} accepts ${username}`);
      for (const username of bad) assert.ok(!v.check({ ...rest, username }), `${edge} refuses ${username}`);
    }
  });

  it('apply one new-password rule set on the admin and the desktop side', () => {
    const adminChange = strictValidator(PasswordChangeBody);
    const desktopChange = strictValidator(PasswordChangeRequestSchema);
    const token = `viw_pw_${'a'.repeat(43)}`;
    for (const [pw, schemaOk] of [
      ['x'.repeat(PASSWORD_POLICY.min_length - 1), false],
      ['abcdefghijkl', true],
      ['p'.repeat(PASSWORD_POLICY.max_length + 1), false],
    ] as const) {
      assert.equal(adminChange.check({ current_password: 'c', new_password: pw }), schemaOk, pw);
      assert.equal(desktopChange.check({ password_token: token, new_password: pw }), schemaOk, pw);
    }
    assert.ok(
      !desktopChange.check({ password_token: `viw_at_${'a'.repeat(43)}`, new_password: 'abcdefghijkl' }),
    );
    assert.deepEqual(newPasswordProblems('alice', 'correct horse battery', false), []);
    assert.deepEqual(newPasswordProblems('alice', 'correct horse battery', true), [
      '/new_password: must differ from the current password',
    ]);
    assert.deepEqual(newPasswordProblems('alice', 'my ALICE password 1', false), [
      '/new_password: must not contain the username',
    ]);
    assert.deepEqual(newPasswordProblems('bob', 'abababababab', false), [
      '/new_password: must use at least 6 different characters',
    ]);
    assert.equal(newPasswordProblems('bob', 'short', false).length, 2, 'too short and too few characters');
  });

  it('check a new password over code points exactly as String#toLowerCase and a Set of characters would', () => {
    // The daemon checks the password as bytes (newPasswordProblemsOfCodePoints); the rules must not
    // drift from the obvious string reading, also for the two non-ASCII characters that lower-case to ASCII.
    const byStrings = (user: string, pw: string) => {
      const out: string[] = [];
      const n = [...pw].length;
      if (n < PASSWORD_POLICY.min_length || n > PASSWORD_POLICY.max_length) out.push('length');
      if (pw.toLowerCase().includes(user.toLowerCase())) out.push('username');
      if (new Set(pw).size < PASSWORD_POLICY.min_distinct_chars) out.push('distinct');
      return out;
    };
    const tag = (p: string) =>
      p.includes('characters') && p.includes('–')
        ? 'length'
        : p.includes('username')
          ? 'username'
          : 'distinct';
    const cases: Array<[string, string]> = [
      ['kim', 'my \u212Aim password 9'],
      ['kim', 'my K\u0130m password 9'],
      ['i.k', 'x\u0130.\u212A secret words'],
      ['alice', 'ALICE in wonderland'],
      [
        'bob',
        '\u{1F600}\u{1F601}\u{1F602}\u{1F603}\u{1F604}\u{1F605}\u{1F606}\u{1F607}\u{1F608}\u{1F609}\u{1F60A}\u{1F60B}',
      ],
      ['bob', '\u{1F600}'.repeat(12)],
      ['bob', 'b\u00f6b is n\u00f6t bob-ish'],
      ['eve', 'x'.repeat(257)],
      ['eve', 'EvE'],
    ];
    for (const [user, pw] of cases) {
      assert.deepEqual(newPasswordProblems(user, pw, false).map(tag), byStrings(user, pw), `${user} / ${pw}`);
    }
  });

  it('make every verify answer say its login_state, and never mix the two branches', () => {
    const v = strictValidator(VerifyReplySchema);
    const at = `viw_at_${'a'.repeat(43)}`;
    const bg = `viw_bg_${'b'.repeat(43)}`;
    const pw = `viw_pw_${'c'.repeat(43)}`;
    const t = '2026-01-01T00:00:00.000Z';
    const ok = { login_state: 'ok', access_token: at, bootstrap_grant: bg, expires_at: t };
    const change = {
      login_state: 'password_change_required',
      password_token: pw,
      password_token_expires_at: t,
      password_policy: { ...PASSWORD_POLICY },
    };
    assert.ok(v.check(ok));
    assert.ok(v.check(change));
    assert.ok(!v.check({ ...ok, login_state: 'password_change_required' }));
    assert.ok(!v.check({ ...change, access_token: at }), 'no access token with a password token');
    assert.ok(!v.check({ ...ok, password_token: pw }));
    assert.ok(!v.check({ access_token: at, bootstrap_grant: bg, expires_at: t }), 'v1 shape has no state');
    assert.ok(!v.check({ ...change, password_token: at }));
  });

  it('decode only canonical 32-byte keys', () => {
    const k = key(7);
    assert.deepEqual(decodeKey32(k), new Uint8Array(32).fill(7));
    assert.equal(decodeKey32(`${k.slice(0, 42)}9`), null, 'non-canonical trailing bits');
    assert.equal(decodeKey32(`${k}=`), null);
    assert.equal(decodeKey32(k.replace(/./, '+')), null, 'standard alphabet refused');
  });

  it('define fingerprints as SHA-256 hex over the raw public keys', () => {
    const x = new Uint8Array(32).fill(1);
    const ed = new Uint8Array(32).fill(2);
    const expected = createHash('sha256')
      .update(Buffer.concat([x, ed]))
      .digest('hex');
    assert.equal(deviceFingerprint(x, ed), expected);
    assert.notEqual(deviceFingerprint(ed, x), expected, 'order matters: X25519 first');
    assert.equal(phoneFingerprint(ed), createHash('sha256').update(ed).digest('hex'));
  });
});
