// Enrollment without a token (the phone's code confirms it; the device then waits for approval),
// a wrong code (typed again), and the one-time password: verify answers password_change_required,
// POST /v1/password replaces it, and the user logs in again with the new one — through the
// LocalClient against the real backend. No password, code or token reaches a log or an answer.
// Each login reports the daemon's version (auth v5): the backend's minimum-version policy judges it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PolicyDocument } from '../../core/api/policy.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { defaultPolicyDocument } from '../../server/services/policy/resolve.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { DAEMON_VERSION } from '../daemon.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import { searchSecrets } from '../testing/recorders.js';

const USERNAME = 'hank';
const FIRST = 'one time password from IT 1';
const NEXT = 'a much better passphrase 99';
let b: BackendSession;
const answers: string[] = [];
const keep = <T>(v: T): T => {
  answers.push(JSON.stringify(v));
  return v;
};

before(async () => {
  b = await startBackendSession(USERNAME, FIRST, { mustChangePassword: true });
});
after(() => b?.stop());

describe('enrollment by phone code, then approval', () => {
  it('enroll without a token → otp_required → the phone code confirms → pending approval', async () => {
    const r = keep(
      await b.d.client.enroll({
        backend_url: `https://127.0.0.1:${b.ts.server.port}`,
        backend_pins: b.ts.server.banner.backend_pins,
        ca_pem: b.ts.ca,
        username: USERNAME,
        password: FIRST,
      }),
    );
    assert.equal(r.enroll_state, 'otp_required');
    assert.equal((await b.d.client.status()).state, 'otp_pending');
    const done = keep(await b.d.client.enrollConfirm({ otp_code: await b.phoneCode() }));
    assert.equal(done.enroll_state, 'enrolled');
    assert.equal(done.device?.status, 'pending_approval');
  });

  it('a pending device cannot log in; once approved it can', async () => {
    await assert.rejects(b.d.client.login({ password: FIRST }), (e) =>
      isViworksError(e, 'VIW_E_DEVICE_PENDING'),
    );
    const id = (await b.d.client.device()).device_id;
    await ctxOf(b.ts).db.desktopDevice.update({ where: { id }, data: { status: 'active' } });
    assert.equal(keep(await b.d.client.login({ password: FIRST })).state, 'otp_pending');
    assert.equal((await b.d.client.device()).status, 'active');
  });
});

describe('codes and the one-time password', () => {
  it('a wrong code keeps the login waiting for the right one', async () => {
    const right = await b.phoneCode();
    const wrong = right === '000000' ? '111111' : '000000';
    await assert.rejects(b.d.client.otp({ otp_code: wrong }), (e) => isViworksError(e, 'VIW_E_OTP_INVALID'));
    const s = await b.d.client.status();
    assert.equal(s.state, 'otp_pending');
    assert.equal(s.last_error?.code, 'VIW_E_OTP_INVALID');
    const ok = keep(await b.d.client.otp({ otp_code: right }));
    assert.deepEqual(ok, { v: 1, state: 'enrolled', password_change_required: true });
  });

  it('without a new password there is nothing to connect with', async () => {
    await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_AUTH_REQUIRED'));
  });

  it('a weak new password is refused with the rule, and the one-time token survives it', async () => {
    await assert.rejects(b.d.client.password({ new_password: 'short' }), (e) => {
      assert.ok(isViworksError(e, 'VIW_E_VALIDATION'));
      assert.ok(e.details.some((x) => x.startsWith('/new_password')));
      return true;
    });
    assert.deepEqual(keep(await b.d.client.password({ new_password: NEXT })), { v: 1, state: 'enrolled' });
  });

  it('logs in again with the new password and connects', async () => {
    assert.equal(await b.login(NEXT), false);
    assert.equal(keep(await b.d.client.connect()).state, 'connected');
    keep(await b.d.client.disconnect());
  });

  it('leaks none of it', async () => {
    searchSecrets(
      { 'daemon log': b.d.logText(), 'API answers': answers.join('\n') },
      { strings: [FIRST, NEXT, ...b.codes], keys: [] },
    );
  });
});

describe('the version each login reports (auth v5)', () => {
  it('is what the minimum-version policy judges, recorded on the device and the session', async () => {
    const ctx = ctxOf(b.ts);
    const id = (await b.d.client.device()).device_id;
    // Enrolled long ago with an older release; the policy asks for this daemon's version.
    await ctx.db.desktopDevice.update({ where: { id }, data: { clientVersion: '0.0.1' } });
    const document: PolicyDocument = structuredClone(defaultPolicyDocument(ctx.config));
    document.posture.min_client_version = DAEMON_VERSION.replace(/[-+].*$/, '');
    const policy = await ctx.db.policy.create({
      data: {
        name: 'min-this-daemon',
        currentVersion: 1,
        versions: { create: { version: 1, authorId: b.userId, document: JSON.stringify(document) } },
      },
    });
    await ctx.db.policyAssignment.create({
      data: { subjectType: 'user', subjectId: b.userId, policyId: policy.id },
    });
    try {
      assert.equal(await b.login(NEXT), false);
      assert.equal(
        (await ctx.db.desktopDevice.findUniqueOrThrow({ where: { id } })).clientVersion,
        DAEMON_VERSION,
      );
      assert.equal((await b.d.client.connect()).state, 'connected');
      const session = await ctx.db.session.findFirstOrThrow({ where: { deviceId: id, endedAt: null } });
      assert.equal(session.clientVersion, DAEMON_VERSION);
      await b.d.client.disconnect();
    } finally {
      await ctx.db.policyAssignment.deleteMany({ where: { policyId: policy.id } });
    }
  });
});
