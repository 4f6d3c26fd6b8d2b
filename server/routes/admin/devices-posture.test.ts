// The posture a desktop declares at login, as admins see it on the device (issue #17): stored by the
// completed login over real HTTPS (/auth/login + /auth/verify), shown by GET /admin/devices.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeviceViewT } from '../../../core/api/admin.js';
import type { LoginResponse } from '../../../core/api/auth.js';
import type { ProcessPosture } from '../../../core/api/posture.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';
import {
  boundPhone,
  createUser,
  enrolledDesktop,
  freshIp,
  loginBody,
  phoneClient,
  signedCall,
} from '../../testing/identity-fixtures.js';

const PW = 'a long enough password 42';
const HARDENED: ProcessPosture = {
  dumpable: false,
  core_limit_zero: true,
  mlock: 'secrets',
  no_new_privs: true,
  tracer: false,
};
const LOOSE: ProcessPosture = { ...HARDENED, dumpable: true, mlock: 'unavailable' };

describe('admin API: a device shows the posture of its last completed login', () => {
  let t: AdminTestServer;
  let token: string;
  before(async () => {
    t = await startAdminTestServer({ mode: 'development' });
    token = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user);
  });
  after(async () => t.srv.stop());

  /** A user with an active desktop and a bound phone. */
  const person = async (name: string) => {
    const user = await createUser(t.srv, name, PW);
    const device = await enrolledDesktop(t.srv, name, PW);
    const phone = await boundPhone(t.srv, user.id);
    return { user, device, phone };
  };
  type Person = Awaited<ReturnType<typeof person>>;
  const signed = <T>(p: Person, path: string, json: unknown, ip: string) =>
    signedCall<T>(t.srv, path, {
      keyId: p.device.deviceId,
      secretKey: p.device.keys.signing.secretKey,
      json,
      localAddress: ip,
    });
  /** Step 1 only: a code is waiting on the phone, nothing is completed. */
  const startLogin = async (p: Person, posture: ProcessPosture | null) => {
    const ip = freshIp();
    const body = { ...loginBody(p.user.username, PW, p.device.deviceId), ...(posture ? { posture } : {}) };
    const started = await signed<LoginResponse>(p, '/auth/login', body, ip);
    assert.equal(started.status, 200, started.text);
    return { txn: started.body.txn_id, ip };
  };
  const fullLogin = async (p: Person, posture: ProcessPosture | null) => {
    const { txn, ip } = await startLogin(p, posture);
    const code = (await phoneClient(t.srv).pendingOtp(p.phone))?.code;
    assert.ok(code);
    const done = await signed(p, '/auth/verify', { txn_id: txn, otp_code: code }, ip);
    assert.equal(done.status, 200, done.text);
  };
  const shown = async (p: Person): Promise<DeviceViewT> => {
    const r = await t.srv.call<{ devices: DeviceViewT[] }>(`/admin/devices?user_id=${p.user.id}`, {
      headers: bearer(token),
    });
    assert.equal(r.status, 200, r.text);
    const [device, ...more] = r.body.devices;
    assert.ok(device && more.length === 0);
    assert.equal(device.id, p.device.deviceId);
    return device;
  };

  it('stores the declared posture at the completed login, each device its own, and null without one', async () => {
    const pia = await person('pia-posture');
    const bo = await person('bo-posture');
    // Enrolled, never logged in: nothing to show.
    assert.deepEqual(
      (({ posture, hardened, last_login_at }) => ({ posture, hardened, last_login_at }))(await shown(pia)),
      { posture: null, hardened: null, last_login_at: null },
    );

    // A login that only started (no code entered) records nothing.
    await startLogin(pia, LOOSE);
    assert.equal((await shown(pia)).posture, null);

    await fullLogin(pia, LOOSE);
    const first = await shown(pia);
    assert.deepEqual(first.posture, LOOSE);
    assert.equal(first.hardened, false);
    assert.ok(first.last_login_at);

    // The near miss: another user's device logging in with its own posture changes nothing here.
    await fullLogin(bo, HARDENED);
    assert.deepEqual((await shown(bo)).posture, HARDENED);
    assert.equal((await shown(bo)).hardened, true);
    assert.deepEqual((await shown(pia)).posture, LOOSE);

    // A later login without a posture (an older daemon) clears it; its time is recorded.
    await fullLogin(pia, null);
    const second = await shown(pia);
    assert.equal(second.posture, null);
    assert.equal(second.hardened, null);
    assert.ok(second.last_login_at && second.last_login_at >= first.last_login_at);
    assert.deepEqual((await shown(bo)).posture, HARDENED);
  });

  it('shows a stored value that is not a valid posture as none, never failing the list', async () => {
    const kim = await person('kim-posture');
    const { deviceId } = kim.device;
    for (const bad of ['{"dumpable":', JSON.stringify({ ...HARDENED, debugger: 'gdb' }), '"hardened"']) {
      await t.ctx.db.desktopDevice.update({ where: { id: deviceId }, data: { lastPosture: bad } });
      const d = await shown(kim);
      assert.equal(d.posture, null, bad);
      assert.equal(d.hardened, null, bad);
    }
    await t.ctx.db.desktopDevice.update({
      where: { id: deviceId },
      data: { lastPosture: JSON.stringify(HARDENED) },
    });
    assert.deepEqual((await shown(kim)).posture, HARDENED);
  });
});
