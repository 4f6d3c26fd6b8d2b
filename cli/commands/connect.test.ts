// login and connect: where secrets come from (prompt or stdin, never argv), what reaches the daemon
// (only its socket), the one-time-password path, progress, and the exit code of each failure.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import * as R from '../lib/results.js';
import { errJson, okJson } from '../testing/assert.js';
import { FAKE_OTP, FAKE_PASSWORD, type FakeDaemon, startFakeDaemon } from '../testing/fake-daemon.js';
import { runCommand, scriptedPrompter } from '../testing/run.js';
import Connect from './connect.js';
import Login from './login.js';

describe('login and connect (fake local API)', () => {
  let fake: FakeDaemon | undefined;
  let sock: string[];
  beforeEach(async () => {
    await fake?.stop();
    fake = await startFakeDaemon();
    sock = ['--socket', fake.socketPath];
  });
  after(async () => fake?.stop());
  const posted = (path: string) => fake?.requests.filter((r) => r.method === 'POST' && r.path === path) ?? [];

  it('login from stdin: the password and code go to the daemon socket, and only there', async () => {
    const r = await runCommand(Login, [...sock, '--password-stdin', '--otp-stdin', '--json'], {
      stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\n`,
    });
    assert.deepEqual(okJson(r, R.LoginResultSchema), { v: 1, state: 'enrolled', password_changed: false });
    assert.deepEqual(posted('/v1/login')[0]?.body, { password: FAKE_PASSWORD });
    assert.deepEqual(posted('/v1/otp')[0]?.body, { otp_code: FAKE_OTP });
    assert.ok(!r.stdout.includes(FAKE_PASSWORD) && !r.stderr.includes(FAKE_PASSWORD));
  });

  it('no terminal and no --password-stdin: usage error (exit 2) before anything is sent', async () => {
    for (const Cmd of [Login, Connect]) {
      const e = errJson(await runCommand(Cmd, [...sock, '--json']), 2, 'VIW_E_VALIDATION');
      assert.match(e.hint, /--password-stdin/);
      const text = await runCommand(Cmd, sock);
      assert.equal(text.exitCode, 2);
      assert.match(text.stderr, /Missing password: stdin is not a terminal/);
    }
    assert.equal(posted('/v1/login').length, 0);
    // The code too: a password on stdin but no code and no terminal.
    errJson(
      await runCommand(Login, [...sock, '--password-stdin', '--json'], { stdin: `${FAKE_PASSWORD}\n` }),
      2,
      'VIW_E_VALIDATION',
    );
  });

  it('at a terminal: asks without echo, and lets a mistyped code be entered again', async () => {
    const codes = ['000000', FAKE_OTP];
    const person = scriptedPrompter((q, secret) => {
      if (q === 'Password: ') return secret ? FAKE_PASSWORD : 'echoed!';
      if (q.startsWith('6-digit code')) return codes.shift() ?? '';
      throw new Error(q);
    });
    const r = await runCommand(Login, sock, { prompter: person });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(person.questions, [
      'Password: ',
      '6-digit code from your phone: ',
      '6-digit code from your phone: ',
    ]);
    assert.match(r.stderr, /Login OK\. Enter the code shown on your phone/);
    assert.match(r.stderr, /That code is wrong; try again\./);
    assert.match(r.stdout, /Logged in as alice/);
  });

  it('a one-time password is replaced, then the login runs again with the new one', async () => {
    fake!.oneTimePassword = true;
    const fresh = 'a-brand-new-Passphrase-7';
    const r = await runCommand(
      Login,
      [...sock, '--password-stdin', '--otp-stdin', '--new-password-stdin', '--json'],
      {
        stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\n${fresh}\n${FAKE_OTP}\n`,
      },
    );
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(okJson(r, R.LoginResultSchema).password_changed, true);
    assert.deepEqual(posted('/v1/password')[0]?.body, { new_password: fresh });
    assert.deepEqual(
      posted('/v1/login').map((x) => x.body?.password),
      [FAKE_PASSWORD, fresh],
    );
  });

  it('a weak new password is refused locally (exit 2, the rule named, the password not shown)', async () => {
    fake!.oneTimePassword = true;
    const r = await runCommand(
      Login,
      [...sock, '--password-stdin', '--otp-stdin', '--new-password-stdin', '--json'],
      {
        stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\nalice-short\n`,
      },
    );
    const e = errJson(r, 2, 'VIW_E_VALIDATION');
    assert.ok(e.details?.some((d) => d.includes('12')));
    assert.ok(!r.stdout.includes('alice-short'));
    assert.equal(posted('/v1/password').length, 0);
  });

  it('wrong password: exit 3 with the daemon code', async () => {
    const r = await runCommand(Login, [...sock, '--password-stdin', '--otp-stdin', '--json'], {
      stdin: 'nope\n',
    });
    errJson(r, 3, 'VIW_E_AUTH_FAILED');
  });

  it('connect: login + code + connect in one, progress steps on stderr, the session as result', async () => {
    const r = await runCommand(Connect, [...sock, '--password-stdin', '--otp-stdin'], {
      stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\n`,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const steps = ['Login OK', 'OTP verified', 'Bootstrap received', 'SPA sent', 'TLS OK', 'OVPN up'];
    let at = -1;
    for (const s of steps) {
      const i = r.stderr.indexOf(s);
      assert.ok(i > at, `${s} in order in:\n${r.stderr}`);
      at = i;
    }
    assert.match(r.stdout, /^Connected via gw\.test \(ip 10\.8\.0\.6\)/);
    // Already connected: nothing is asked or sent again.
    const again = okJson(await runCommand(Connect, [...sock, '--json']), R.ConnectResultSchema);
    assert.equal(again.already_connected, true);
    assert.equal(posted('/v1/login').length, 1);
  });

  it('connect --json after `viworks login`: uses the daemon-held login, asks nothing', async () => {
    await runCommand(Login, [...sock, '--password-stdin', '--otp-stdin'], {
      stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\n`,
    });
    const r = okJson(await runCommand(Connect, [...sock, '--json']), R.ConnectResultSchema);
    assert.equal(r.state, 'connected');
    assert.equal(r.session?.virtual_ip, '10.8.0.6');
    assert.equal(r.timings.total_connect_ms, 42);
    assert.equal(posted('/v1/login').length, 1);
  });

  it('connect failures keep their code: pin mismatch exit 5, preflight exit 4', async () => {
    const stdin = `${FAKE_PASSWORD}\n${FAKE_OTP}\n`;
    const argv = [...sock, '--password-stdin', '--otp-stdin', '--json'];
    fake!.failConnect = { at: 'tls', code: 'VIW_E_PIN_MISMATCH' };
    const e = errJson(await runCommand(Connect, argv, { stdin }), 5, 'VIW_E_PIN_MISMATCH');
    assert.match(e.hint, /Do not continue/);
    fake!.failConnect = { at: 'preflight', code: 'VIW_E_PREFLIGHT' };
    errJson(await runCommand(Connect, argv, { stdin }), 4, 'VIW_E_PREFLIGHT');
  });
});
