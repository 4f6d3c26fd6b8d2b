// GET /admin/phones through the real Fastify app: phones bound through the real phone routes (and
// one row as a verified attestation leaves it), listed with their verdicts, filtered, paged; a
// signed phone request marks it seen. Every admin role may read devices: the refusals are those of
// no session, a setup session and malformed queries.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PhoneViewT } from '../../../core/api/admin-phones.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
  type TestAccount,
} from '../../testing/admin-fixtures.js';
import { boundPhone, phoneClient } from '../../testing/identity-fixtures.js';

type List = { phones: PhoneViewT[]; next_cursor: string | null };

describe('admin API: phones', () => {
  let t: AdminTestServer;
  let auditor: string;
  let alice: TestAccount;
  let bob: TestAccount;
  const phones: Record<string, string> = {};

  before(async () => {
    // Development mode: the test phones bind without a platform attestation (verdict unknown).
    t = await startAdminTestServer({ mode: 'development' });
    auditor = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
    alice = await createAccount(t.ctx, 'User');
    bob = await createAccount(t.ctx, 'User');
    phones.aliceOld = (await boundPhone(t.srv, alice.user.id)).mobileDeviceId;
    phones.aliceNew = (await boundPhone(t.srv, alice.user.id)).mobileDeviceId;
    const carol = await createAccount(t.ctx, 'User');
    // As a verified WebAuthn attestation leaves the row (server/services/mobile/attestation).
    const attested = await t.ctx.db.mobileDevice.create({
      data: {
        userId: carol.user.id,
        platform: 'ios',
        publicKey: randomBytes(32).toString('base64url'),
        fingerprint: randomBytes(32).toString('hex'),
        attestationType: 'webauthn',
        attestationVerdict: 'pass',
        attestationFormat: 'packed',
        attestedAt: new Date('2030-01-01T00:00:00.000Z'),
        hardwareBacked: true,
        userVerified: true,
        status: 'active',
        approvedAt: new Date(),
      },
    });
    phones.carol = attested.id;
  });
  after(async () => t.srv.stop());

  const get = (qs = '', token = auditor) =>
    t.srv.call<List>(`/admin/phones${qs}`, { headers: bearer(token) });

  it('lists the bound phones newest first with user, platform, verdict and format', async () => {
    const res = await get();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.phones.map((p) => p.id),
      [phones.carol, phones.aliceNew],
      'the replaced phone is not bound any more',
    );
    const [carol, alice1] = res.body.phones as [PhoneViewT, PhoneViewT];
    assert.deepEqual(
      [carol.platform, carol.attestation_type, carol.attestation_verdict, carol.attestation_format],
      ['ios', 'webauthn', 'pass', 'packed'],
    );
    assert.deepEqual(
      [carol.hardware_backed, carol.user_verified, carol.attested_at],
      [true, true, '2030-01-01T00:00:00.000Z'],
    );
    assert.deepEqual(
      [
        alice1.username,
        alice1.platform,
        alice1.attestation_type,
        alice1.attestation_verdict,
        alice1.attestation_format,
      ],
      [alice.user.username, 'android', 'none', 'unknown', null],
    );
    assert.match(alice1.bound_at, /^\d{4}-.*Z$/);
    assert.ok(!/public_?key|credential|sign_?count/i.test(res.text), 'no key material in the list');
  });

  it('filters by user and status, and pages without gaps', async () => {
    const mine = await get(`?user_id=${alice.user.id}&status=all`);
    assert.deepEqual(
      mine.body.phones.map((p) => [p.id, p.status, p.revoked_at !== null]),
      [
        [phones.aliceNew, 'active', false],
        [phones.aliceOld, 'revoked', true],
      ],
    );
    assert.deepEqual(
      (await get(`?user_id=${alice.user.id}&status=revoked`)).body.phones.map((p) => p.id),
      [phones.aliceOld],
    );
    assert.deepEqual((await get(`?user_id=${bob.user.id}`)).body.phones, []);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: List = (await get(`?status=all&limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body;
      assert.ok(page.phones.length <= 1);
      seen.push(...page.phones.map((p) => p.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [phones.carol, phones.aliceNew, phones.aliceOld]);
  });

  it('a verified request the phone signs marks it seen; binding alone does not', async () => {
    const phone = await boundPhone(t.srv, bob.user.id);
    const before = (await get(`?user_id=${bob.user.id}`)).body.phones[0]!;
    assert.equal(before.last_seen_at, null);
    const asked = Date.now();
    assert.equal(await phoneClient(t.srv).pendingOtp(phone, 0), null);
    const after = (await get(`?user_id=${bob.user.id}`)).body.phones[0]!;
    assert.ok(
      after.last_seen_at && Date.parse(after.last_seen_at) >= asked - 1000,
      after.last_seen_at ?? 'null',
    );
  });

  it('refuses without a session (401), a setup session (403) and malformed queries (400)', async () => {
    assert.deepEqual(refusal(await t.srv.call('/admin/phones')), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    const setup = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user, 'setup');
    assert.deepEqual(refusal(await get('', setup)), { code: 'VIW_E_SETUP_REQUIRED', status: 403 });
    assert.deepEqual(refusal(await get('?status=pending')), { code: 'VIW_E_VALIDATION', status: 400 });
    assert.deepEqual(refusal(await get('?user_id=alice')), { code: 'VIW_E_VALIDATION', status: 400 });
    assert.deepEqual(refusal(await get('?limit=0')), { code: 'VIW_E_VALIDATION', status: 400 });
    assert.deepEqual(refusal(await get('?platform=ios')), { code: 'VIW_E_UNKNOWN_FIELD', status: 400 });
  });
});
