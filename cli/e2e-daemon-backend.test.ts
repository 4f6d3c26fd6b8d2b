// The real `viworks` command classes → a real viworksd (Unix socket, temp state dir; fakes only for
// the TLS proxy and OpenVPN) → a real backend over pinned HTTPS, with the phone simulator's OTP:
// enroll (fleet token) → device show → connect (password, then the phone's code on stdin) →
// status connected → disconnect → status enrolled. Every --json output is checked against its
// exported result schema; and with no daemon behind the socket, `status --json` exits 6.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type DaemonFixture, startDaemonFixture } from '../daemon/testing/daemon-fixture.js';
import type { PhoneIdentity } from '../mobile/sim/phone-client.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../server/testing/identity-fixtures.js';
import Connect from './commands/connect.js';
import DeviceShow from './commands/device/show.js';
import Disconnect from './commands/disconnect.js';
import Enroll from './commands/enroll.js';
import StatusCmd from './commands/status.js';
import * as R from './lib/results.js';
import { errJson, okJson } from './testing/assert.js';
import { runCommand } from './testing/run.js';

const USERNAME = 'frank';
const PASSWORD = 'frank correct horse battery 17';

let ts: TestServer;
let d: DaemonFixture;
let phone: PhoneIdentity;
let dir: string;
let sock: string[];

before(async () => {
  ts = await startTestServer({ mode: 'development' });
  const userId = (await createUser(ts, USERNAME, PASSWORD)).id;
  phone = await boundPhone(ts, userId);
  d = await startDaemonFixture();
  sock = ['--socket', d.socketPath];
  dir = mkdtempSync(join(tmpdir(), 'viw-cli-e2e-'));
  writeFileSync(join(dir, 'root.crt'), ts.ca);
  writeFileSync(join(dir, 'fleet.token'), `${await createToken(ts)}\n`, { mode: 0o600 });
});
after(async () => {
  await d?.stop();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('viworks CLI → real viworksd → real backend', () => {
  let deviceId = '';

  it('enroll --json with a fleet token: enrolled and active', async () => {
    const pins = ts.server.banner.backend_pins;
    const argv = [
      ...sock,
      '--json',
      '--backend',
      `https://127.0.0.1:${ts.server.port}`,
      '--ca',
      join(dir, 'root.crt'),
      '--pin',
      pins.primary_b64,
      '--pin',
      pins.backup_b64,
      '--username',
      USERNAME,
      '--token-file',
      join(dir, 'fleet.token'),
      '--password-stdin',
    ];
    const r = await runCommand(Enroll, argv, { stdin: `${PASSWORD}\n` });
    const body = okJson(r, R.EnrollResultSchema);
    assert.equal(body.enroll_state, 'enrolled');
    assert.equal(body.device.status, 'active');
    assert.equal(body.device.username, USERNAME);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    deviceId = body.device.device_id;
  });

  it('device show --json: the same device', async () => {
    const body = okJson(await runCommand(DeviceShow, [...sock, '--json']), R.DeviceShowResultSchema);
    assert.equal(body.enrolled, true);
    assert.equal(body.device?.device_id, deviceId);
    assert.equal(body.device?.status, 'active');
  });

  it('connect --json --password-stdin --otp-stdin: the code read from the phone after login', async () => {
    const stdin = new PassThrough();
    stdin.write(`${PASSWORD}\n`);
    // Like a person: once the login is accepted the phone shows a code, which then goes to stdin.
    const typist = (async () => {
      const pending = await phoneClient(ts).pendingOtp(phone, 10);
      assert.ok(pending, 'the phone shows a code');
      stdin.end(`${pending.code}\n`);
      return pending.code;
    })();
    const r = await runCommand(Connect, [...sock, '--json', '--password-stdin', '--otp-stdin'], { stdin });
    const code = await typist;
    const body = okJson(r, R.ConnectResultSchema);
    assert.equal(body.state, 'connected');
    assert.equal(body.already_connected, false);
    assert.match(body.session?.session_id ?? '', /^s-[0-9a-f]{32}$/);
    assert.equal(body.session?.virtual_ip, '10.8.0.6');
    assert.equal(typeof body.timings.total_connect_ms, 'number');
    for (const secret of [PASSWORD, code])
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
    assert.equal(d.tls.starts.length, 1);
    assert.equal(d.openvpn.starts.length, 1);
  });

  it('status --json: connected, with the session', async () => {
    const s = okJson(await runCommand(StatusCmd, [...sock, '--json']), R.StatusResultSchema);
    assert.equal(s.state, 'connected');
    assert.match(s.session?.session_id ?? '', /^s-[0-9a-f]{32}$/);
    assert.equal(s.session?.gateway_fqdn, 'gw.viworks.internal');
    assert.equal(s.device?.device_id, deviceId);
  });

  it('disconnect --json, then status --json: enrolled, no session', async () => {
    const body = okJson(await runCommand(Disconnect, [...sock, '--json']), R.DisconnectResultSchema);
    assert.deepEqual(body, { v: 1, state: 'enrolled', was_connected: true });
    assert.equal(d.openvpn.handles[0]?.stopped, 1);
    assert.equal(d.tls.handles[0]?.stopped, 1);
    const s = okJson(await runCommand(StatusCmd, [...sock, '--json']), R.StatusResultSchema);
    assert.equal(s.state, 'enrolled');
    assert.equal(s.session, null);
  });

  it('status --json with no daemon behind the socket: exit 6', async () => {
    const r = await runCommand(StatusCmd, ['--socket', join(dir, 'nothing-here.sock'), '--json']);
    errJson(r, 6, 'VIW_E_DAEMON_UNAVAILABLE');
  });
});
