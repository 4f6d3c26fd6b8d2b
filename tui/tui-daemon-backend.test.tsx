// The TUI against a real viworksd (Unix socket, temp state; fakes only for the TLS proxy and
// OpenVPN) and a real backend over pinned HTTPS, with the phone simulator's code — driven like a
// person through ink-testing-library's stdin: c → password → the phone's code → connected with
// OVPN up → d → disconnected. Secrets never show on screen.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { type DaemonFixture, startDaemonFixture } from '../daemon/testing/daemon-fixture.js';
import type { PhoneIdentity } from '../mobile/sim/phone-client.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../server/testing/identity-fixtures.js';
import { App } from './App.js';
import { frameWith as seen, settle } from './testing/fake-client.js';

const USERNAME = 'grace';
const PASSWORD = 'grace correct horse battery 23';

let ts: TestServer;
let d: DaemonFixture;
let phone: PhoneIdentity;

before(async () => {
  ts = await startTestServer({ mode: 'development' });
  const userId = (await createUser(ts, USERNAME, PASSWORD)).id;
  phone = await boundPhone(ts, userId);
  d = await startDaemonFixture();
  const pins = ts.server.banner.backend_pins;
  const enrolled = await d.client.enroll({
    backend_url: `https://127.0.0.1:${ts.server.port}`,
    backend_pins: { primary_b64: pins.primary_b64, backup_b64: pins.backup_b64 },
    ca_pem: ts.ca,
    username: USERNAME,
    password: PASSWORD,
    enrollment_token: await createToken(ts),
  });
  assert.equal(enrolled.enroll_state, 'enrolled');
});
after(async () => {
  cleanup();
  await d?.stop();
  await ts?.stop();
});

const frameWith = async (lastFrame: () => string | undefined, text: string, timeoutMs = 15_000) => {
  const f = await seen(lastFrame, text, timeoutMs);
  await settle();
  return f;
};

it('TUI → real viworksd → real backend: log in with the phone code, connected with OVPN up, disconnect', async () => {
  const { lastFrame, stdin, frames } = render(<App client={d.client} />);
  await frameWith(lastFrame, 'Press c to connect');
  assert.match(lastFrame() ?? '', /user: grace/);
  stdin.write('c');
  await frameWith(lastFrame, 'Password:');
  stdin.write(PASSWORD);
  await frameWith(lastFrame, '••••');
  stdin.write('\r');
  await frameWith(lastFrame, 'Code expires in');
  // Like a person: read the code off the phone, type it.
  const pending = await phoneClient(ts).pendingOtp(phone, 10);
  assert.ok(pending, 'the phone shows a code');
  stdin.write(pending.code);
  await frameWith(lastFrame, `Code: ${pending.code}`);
  stdin.write('\r');
  const connected = await frameWith(lastFrame, 'Connected via gw.viworks.internal', 30_000);
  for (const label of ['Login OK', 'OTP verified', 'Bootstrap received', 'SPA sent', 'TLS ok', 'OVPN up'])
    assert.match(connected, new RegExp(`✔ ${label}`));
  assert.match(connected, /Tunnel address: 10\.8\.0\.6/);
  assert.match(connected, /Timings: login \d+ ms/);
  assert.match(connected, /\[d\] disconnect/);
  // The daemon's own log, streamed into the pane.
  await frameWith(lastFrame, 'session.connected');
  assert.equal(d.openvpn.starts.length, 1);

  stdin.write('d');
  await frameWith(lastFrame, 'Press c to connect', 15_000);
  assert.equal(d.openvpn.handles[0]?.stopped, 1);
  assert.equal((await d.client.status()).state, 'enrolled');
  const everything = frames.join('\n');
  assert.ok(!everything.includes(PASSWORD), 'the password never shows');
  assert.ok(!d.logText().includes(PASSWORD), 'nor reaches the daemon log');
});

it('TUI with no daemon behind the socket: the not-running screen', async () => {
  const { LocalClient } = await import('../core/localclient/index.js');
  const client = new LocalClient({ socketPath: `${d.dir}/nothing-here.sock` });
  const { lastFrame } = render(<App client={client} retryMs={50} />);
  await frameWith(lastFrame, 'The daemon is not running');
  assert.match(lastFrame() ?? '', /Diagnostic code: VIW_E_DAEMON_UNAVAILABLE/);
});
