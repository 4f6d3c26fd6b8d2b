// `viworks admin …` against the REAL backend (HTTPS, TLS 1.3, CA + SPKI pins), in-process as
// `Cmd.run(argv)`: first login with TOTP enrollment, stdin-only logins, every command's --json
// result checked against its schema, exit codes, and the session token kept out of every output.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreatePki } from '../../../server/pki/embedded-pki.js';
import { base32Decode } from '../../../server/services/admin/totp.js';
import {
  type AdminTestServer,
  createAccount,
  createDevice,
  createGateway,
  createVpnSession,
  startAdminTestServer,
  totpCode,
} from '../../../server/testing/admin-fixtures.js';
import * as R from '../../lib/admin-results.js';
import { adminSessionPath } from '../../lib/admin-session.js';
import { errJson, okJson } from '../../testing/assert.js';
import { type RunOutcome, runCommand, scriptedPrompter } from '../../testing/run.js';
import AuditQuery from './audit/query.js';
import DevicesApprove from './devices/approve.js';
import DevicesList from './devices/list.js';
import DevicesUnbind from './devices/unbind.js';
import TokensCreate from './enrollment-tokens/create.js';
import TokensList from './enrollment-tokens/list.js';
import TokensRevoke from './enrollment-tokens/revoke.js';
import AdminLogin from './login.js';
import AdminLogout from './logout.js';
import SessionsList from './sessions/list.js';
import SessionsTerminate from './sessions/terminate.js';
import UsersBindCode from './users/bind-code.js';
import UsersCreate from './users/create.js';
import UsersList from './users/list.js';
import UsersLock from './users/lock.js';
import UsersReset from './users/reset.js';
import UsersUnlock from './users/unlock.js';

describe('viworks admin (real backend)', () => {
  let t: AdminTestServer;
  let dir: string;
  let trustArgs: string[];
  const outputs: RunOutcome<unknown>[] = [];
  const run = async (Cmd: { run(argv?: string[]): Promise<unknown> }, argv: string[], opts = {}) => {
    const r = await runCommand(Cmd, argv, opts);
    outputs.push(r);
    return r;
  };

  before(async () => {
    t = await startAdminTestServer();
    dir = mkdtempSync(join(tmpdir(), 'viw-cli-admin-'));
    process.env.XDG_CONFIG_HOME = join(dir, 'config');
    writeFileSync(join(dir, 'ca.pem'), t.srv.ca);
    const pins = t.srv.server.banner.backend_pins;
    trustArgs = ['--backend', t.srv.server.banner.url, '--ca', join(dir, 'ca.pem')];
    trustArgs.push('--pin', pins.primary_b64, '--pin', pins.backup_b64);
  });
  after(async () => {
    await t.srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('first login: new password, TOTP enrolled from the URI shown once, then a full login', async () => {
    let secret: Buffer | undefined;
    let step = 0;
    const person = scriptedPrompter((q) => {
      if (q.startsWith('Password')) return t.srv.adminPassword;
      if (q.startsWith('New password')) return 'a-Much-better-passphrase-42';
      if (q.startsWith('TOTP code')) return ''; // none yet
      if (q.startsWith('6-digit') && secret) return totpCode(secret, step++); // then the NEXT code
      throw new Error(`unexpected question: ${q}`);
    });
    const r = await run(AdminLogin, [...trustArgs, '--username', 'admin'], {
      prompter: person,
      onStderr: (all: string) => {
        const m = /otpauth:\/\/totp\/[^\s]*secret=([A-Z2-7]+)/.exec(all);
        if (m?.[1]) secret = base32Decode(m[1]);
      },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(person.questions, [
      'Password: ',
      'TOTP code (Enter if you have not set one up yet): ',
      'New password: ',
      'New password again: ',
      '6-digit code from your authenticator: ',
      '6-digit code from your authenticator: ',
    ]);
    assert.equal((r.stderr.match(/otpauth:\/\//g) ?? []).length, 1, 'the key URI is shown exactly once');
    assert.match(r.stdout, /^Logged in as admin \(Admin\)/);

    const path = adminSessionPath();
    assert.equal(path, join(dir, 'config', 'viworks', 'admin.json'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'config', 'viworks')).mode & 0o777, 0o700);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(stored.backend_url, t.srv.server.banner.url);
    // Where the OS keyring works the token is there; a headless box (AccessDenied) uses the file.
    if (stored.token_store === 'file') assert.match(stored.token, /^viw_adm_/);
    else assert.equal(stored.token, undefined);
  });

  it('refuses to prompt without a terminal: missing input is a usage error (exit 2)', async () => {
    const r = await run(AdminLogin, ['--username', 'admin', '--json']);
    const e = errJson(r, 2, 'VIW_E_VALIDATION');
    assert.match(e.message, /Missing password/);
    assert.match(e.hint, /--password-stdin/);
    assert.equal(r.stderr, '');
    const text = await run(AdminLogin, ['--username', 'admin']);
    assert.equal(text.exitCode, 2);
    assert.match(text.stderr, /VIW_E_VALIDATION.*\n {2}hint: Pass --password-stdin/);
  });

  it('has no flag that takes a password; a password on the command line is refused unseen', async () => {
    for (const [name, flag] of Object.entries(AdminLogin.flags)) {
      if (/pass|totp|secret|token/i.test(name))
        assert.equal(flag.type, 'boolean', `--${name} takes no value`);
    }
    for (const argv of [
      ['--password', 'hunter2-secret'],
      ['--password=hunter2-secret'],
      ['hunter2-secret'],
    ]) {
      const r = await run(AdminLogin, [...argv, '--json']);
      errJson(r, 2, 'VIW_E_VALIDATION');
      assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2'), 'the value is not echoed');
    }
  });

  it('fails closed on a wrong pin or CA (exit 5), before any credential is sent', async () => {
    const { primary_b64 } = t.srv.server.banner.backend_pins;
    const otherPin = Buffer.alloc(32, 7).toString('base64');
    const wrongPins = [
      ...trustArgs.slice(0, 4),
      '--pin',
      otherPin,
      '--pin',
      Buffer.alloc(32, 8).toString('base64'),
    ];
    const argv = ['--username', 'admin', '--password-stdin', '--setup', '--json'];
    const pin = await run(AdminLogin, [...wrongPins, ...argv], { stdin: 'irrelevant-password\n' });
    assert.match(errJson(pin, 5, 'VIW_E_PIN_MISMATCH').hint, /Do not continue/);
    // A CA that did not issue the backend's certificate.
    const other = await loadOrCreatePki(join(dir, 'other-pki'), { commonName: 'other' });
    writeFileSync(join(dir, 'other-ca.pem'), other.rootPem);
    const ca = [
      trustArgs[0]!,
      trustArgs[1]!,
      '--ca',
      join(dir, 'other-ca.pem'),
      '--pin',
      primary_b64,
      '--pin',
      otherPin,
    ];
    errJson(
      await run(AdminLogin, [...ca, ...argv], { stdin: 'irrelevant-password\n' }),
      5,
      'VIW_E_PIN_MISMATCH',
    );
  });

  it('logs in from stdin only (password, then code) with --json', async () => {
    const op = await createAccount(t.ctx, 'Operator', 'op.stdin');
    const cfg = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = join(dir, 'config-op');
    process.env.VIWORKS_ADMIN_TOKEN_STORE = 'file';
    try {
      const stdin = `${op.password}\n${totpCode(op.totpSecret)}\n`;
      const argv = [...trustArgs, '--username', 'op.stdin', '--password-stdin', '--totp-stdin', '--json'];
      const r = okJson(await run(AdminLogin, argv, { stdin }), R.AdminLoginResultSchema);
      assert.equal(r.role, 'Operator');
      assert.equal(r.token_store, 'file');
      assert.deepEqual(r.setup, { password_changed: false, totp_enrolled: false });
      const path = adminSessionPath();
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(JSON.parse(readFileSync(path, 'utf8')).token, /^viw_adm_/);
      // An Operator may not create users: policy, exit 4.
      errJson(await run(UsersCreate, ['nope', '--json']), 4, 'VIW_E_FORBIDDEN');
      // Wrong password: auth, exit 3 (counted, as every failed login is).
      const bad = await run(AdminLogin, argv, { stdin: `wrong-password\n${totpCode(op.totpSecret, 1)}\n` });
      errJson(bad, 3, 'VIW_E_AUTH_FAILED');
      // A session file others can read is refused, not used.
      chmodSync(path, 0o644);
      errJson(await run(UsersList, ['--json']), 7, 'VIW_E_CONFIG');
    } finally {
      process.env.XDG_CONFIG_HOME = cfg;
      delete process.env.VIWORKS_ADMIN_TOKEN_STORE;
    }
  });

  it('users: create, list, lock, unlock, reset (by username or id)', async () => {
    const created = okJson(await run(UsersCreate, ['carol', '--json']), R.AdminUsersCreateResultSchema);
    assert.equal(created.user.role, 'User');
    assert.ok(created.one_time_password.length >= 12);
    const list = okJson(await run(UsersList, ['--role', 'User', '--json']), R.AdminUsersListResultSchema);
    assert.ok(list.users.some((u) => u.username === 'carol'));
    const locked = okJson(await run(UsersLock, ['carol', '--json']), R.AdminUserActionResultSchema);
    assert.equal(locked.user.locked, true);
    const onlyLocked = okJson(await run(UsersList, ['--locked', '--json']), R.AdminUsersListResultSchema);
    assert.deepEqual(
      onlyLocked.users.map((u) => u.username),
      ['carol'],
    );
    const unlocked = okJson(
      await run(UsersUnlock, [created.user.id, '--json']),
      R.AdminUserActionResultSchema,
    );
    assert.equal(unlocked.user.locked, false);
    const reset = okJson(await run(UsersReset, ['carol', '--json']), R.AdminUsersResetResultSchema);
    assert.notEqual(reset.one_time_password, created.one_time_password);
    const bind = okJson(await run(UsersBindCode, ['carol', '--json']), R.AdminUsersBindCodeResultSchema);
    assert.match(bind.code, /^[A-HJ-KM-NP-Z2-9]{10}$/);
    assert.equal(bind.bind_url, `https://localhost:${t.srv.server.port}/phone/#bind=${bind.code}`);
    const human = (await run(UsersBindCode, ['carol'])).stdout;
    assert.match(human, /^bind code: [A-Z2-9]{10} +\(one use, until /);
    assert.match(human, /\nbind link: https:\/\/localhost:\d+\/phone\/#bind=[A-Z2-9]{10}\n/);
    assert.match(human, /[▀▄█]{10,}/, 'a QR code of block characters');
    assert.doesNotMatch((await run(UsersBindCode, ['carol', '--no-qr'])).stdout, /[▀▄█]/);
    errJson(await run(UsersLock, ['nobody-here', '--json']), 2, 'VIW_E_NOT_FOUND');
    errJson(await run(UsersCreate, ['carol', '--json']), 4, 'VIW_E_CONFLICT');
    const text = await run(UsersList, []);
    assert.match(text.stdout, /^ID +USERNAME +ROLE/);
    assert.match(text.stdout, /carol +User/);
  });

  it('devices: list, approve, unbind; sessions: list, terminate', async () => {
    const user = await createAccount(t.ctx, 'User', 'dave');
    const device = await createDevice(t.ctx, user.user.id, 'pending_approval');
    const pending = okJson(
      await run(DevicesList, ['--status', 'pending_approval', '--user', 'dave', '--json']),
      R.AdminDevicesListResultSchema,
    );
    assert.deepEqual(
      pending.devices.map((d) => d.id),
      [device.id],
    );
    assert.deepEqual(
      [pending.devices[0]?.posture, pending.devices[0]?.hardened, pending.devices[0]?.last_login_at],
      [null, null, null],
    );
    // The posture of its last login (stored as a completed login stores it, auth/login-record.ts).
    const posture = {
      dumpable: true,
      core_limit_zero: false,
      mlock: 'secrets',
      no_new_privs: true,
      tracer: false,
    };
    const other = await createDevice(t.ctx, user.user.id, 'active');
    await t.ctx.db.desktopDevice.update({
      where: { id: other.id },
      data: { lastPosture: JSON.stringify(posture), lastLoginAt: new Date('2026-12-04T10:00:00Z') },
    });
    const both = okJson(await run(DevicesList, ['--user', 'dave', '--json']), R.AdminDevicesListResultSchema);
    const withPosture = both.devices.find((d) => d.id === other.id);
    assert.deepEqual(withPosture?.posture, posture);
    assert.equal(withPosture?.hardened, false);
    assert.equal(withPosture?.last_login_at, '2026-12-04T10:00:00.000Z');
    const table = (await run(DevicesList, ['--user', 'dave'])).stdout.split('\n');
    assert.match(table[0] ?? '', /FINGERPRINT +POSTURE +LAST LOGIN +CREATED/);
    assert.match(
      table.find((l) => l.startsWith(other.id)) ?? '',
      / findings: dumpable,core_limit +2026-12-04T10:00:00\.000Z /,
    );
    assert.match(table.find((l) => l.startsWith(device.id)) ?? '', / — +— +20/);
    const approved = okJson(
      await run(DevicesApprove, [device.id, '--json']),
      R.AdminDeviceActionResultSchema,
    );
    assert.equal(approved.device.status, 'active');
    errJson(await run(DevicesApprove, [device.id, '--json']), 4, 'VIW_E_CONFLICT');
    errJson(await run(DevicesApprove, ['not-a-uuid', '--json']), 2, 'VIW_E_VALIDATION');

    const gw = await createGateway(t.ctx);
    const vpn = await createVpnSession(t.ctx, {
      userId: user.user.id,
      deviceId: device.id,
      gatewayId: gw.id,
    });
    const live = okJson(
      await run(SessionsList, ['--user', 'dave', '--json']),
      R.AdminSessionsListResultSchema,
    );
    assert.deepEqual(
      live.sessions.map((s) => s.id),
      [vpn.id],
    );
    const ended = okJson(
      await run(SessionsTerminate, [vpn.id, '--json']),
      R.AdminSessionTerminateResultSchema,
    );
    assert.equal(ended.session.state, 'ended');

    const unbound = okJson(await run(DevicesUnbind, [device.id, '--json']), R.AdminDeviceActionResultSchema);
    assert.equal(unbound.device.status, 'revoked');
  });

  it('enrollment-tokens: create (stdout or a new 0600 file), list, revoke', async () => {
    const shown = okJson(
      await run(TokensCreate, ['--max-uses', '5', '--expires-in', '2h', '--tag', 'lab', '--json']),
      R.AdminTokenCreateResultSchema,
    );
    assert.match(shown.token ?? '', /^viw_et_/);
    assert.deepEqual(shown.enrollment_token.tags, ['lab']);
    const file = join(dir, 'fleet.token');
    const filed = okJson(
      await run(TokensCreate, ['--auto-approve', '--out', file, '--json']),
      R.AdminTokenCreateResultSchema,
    );
    assert.equal(filed.token, null);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^viw_et_[A-Za-z0-9_-]{43}\n$/);
    assert.ok(!outputs.at(-1)?.stdout.includes(readFileSync(file, 'utf8').trim()));
    errJson(await run(TokensCreate, ['--out', file, '--json']), 2, 'VIW_E_VALIDATION'); // exists: not overwritten
    errJson(await run(TokensCreate, ['--expires-in', '10s', '--json']), 2, 'VIW_E_VALIDATION');

    const valid = okJson(
      await run(TokensList, ['--state', 'valid', '--json']),
      R.AdminTokensListResultSchema,
    );
    assert.equal(valid.enrollment_tokens.length, 2);
    const revoked = okJson(
      await run(TokensRevoke, [filed.enrollment_token.id, '--json']),
      R.AdminTokenRevokeResultSchema,
    );
    assert.equal(revoked.enrollment_token.state, 'revoked');
  });

  it('audit query: the actions above, filtered', async () => {
    const r = okJson(
      await run(AuditQuery, ['--action', 'admin.user_', '--limit', '10', '--json']),
      R.AdminAuditQueryResultSchema,
    );
    assert.ok(r.events.some((e) => e.event.action === 'admin.user_create'));
    assert.ok(r.events.every((e) => e.event.action.startsWith('admin.user_')));
  });

  it('logout ends the session; then commands need a login (exit 3)', async () => {
    okJson(await run(AdminLogout, ['--json']), R.AdminLogoutResultSchema);
    const stored = JSON.parse(readFileSync(adminSessionPath(), 'utf8'));
    assert.equal(stored.token, undefined);
    assert.equal(stored.token_store, null);
    const after = await run(UsersList, ['--json']);
    errJson(after, 3, 'VIW_E_AUTH_REQUIRED');
    const again = okJson(await run(AdminLogout, ['--json']), R.AdminLogoutResultSchema);
    assert.equal(again.logged_out, false);
  });

  it('never printed a session token, on stdout or stderr, in any run above', () => {
    assert.ok(outputs.length > 20);
    for (const o of outputs) assert.ok(!/viw_adm_/.test(o.stdout + o.stderr));
  });
});
