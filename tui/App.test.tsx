// The whole TUI against a fake LocalClient: the screen follows the daemon's watch stream, the keys
// drive the dialogue (password → code → connect → disconnect), the log pane follows the logs
// stream, the layout follows resizes, and an unreachable daemon gets its own screen.
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { ViworksError } from '../core/errors/viworks-error.js';
import { App } from './App.js';
import { authRequired, FakeClient, frameWith as seen, settle, statusOf } from './testing/fake-client.js';

/** The frame shows `text` and the screen's key handlers are attached (effects run after a draw). */
const frameWith = async (lastFrame: () => string | undefined, text: string) => {
  const f = await seen(lastFrame, text);
  await settle();
  return f;
};

afterEach(cleanup);

const T = statusOf('enrolled').timings;
const LINE = { at: '2026-01-01T00:00:01.000Z', level: 'info' as const, state: null };

it('App: daemon not running → its screen; it starts → the resting screen (reconnects on its own)', async () => {
  const client = new FakeClient();
  client.watchError = new ViworksError('VIW_E_DAEMON_UNAVAILABLE');
  const { lastFrame } = render(<App client={client} retryMs={20} />);
  await frameWith(lastFrame, 'The daemon is not running');
  assert.match(lastFrame() ?? '', /Diagnostic code: VIW_E_DAEMON_UNAVAILABLE/);
  assert.match(lastFrame() ?? '', /\[q\] quit/);
  client.watchError = null;
  client.emit(statusOf('enrolled'));
  await frameWith(lastFrame, 'Press c to connect');
  // The daemon stops again: back to the not-running screen.
  client.stopDaemon(new ViworksError('VIW_E_DAEMON_UNAVAILABLE'));
  await frameWith(lastFrame, 'The daemon is not running');
});

it('App: not enrolled', async () => {
  const client = new FakeClient();
  client.emit(statusOf('idle'));
  const { lastFrame } = render(<App client={client} />);
  await frameWith(lastFrame, 'This machine is not enrolled');
});

it('App: c → password → code → connect → connected with OVPN up → d disconnects', async () => {
  const client = new FakeClient();
  client.emit(statusOf('enrolled'));
  client.answer('connect', authRequired);
  client.answer('login', async () => {
    client.emit(statusOf('otp_pending', { otp_expires_at: new Date(Date.now() + 120_000).toISOString() }));
    return { v: 1, state: 'otp_pending', otp_expires_at: '' };
  });
  client.answer('otp', async () => {
    client.emit(statusOf('enrolled', { timings: { ...T, login_ms: 90 } }));
    return { v: 1, state: 'enrolled', password_change_required: false };
  });
  client.answer('connect', async () => {
    client.emit(statusOf('spa', { timings: { ...T, login_ms: 90, bootstrap_ms: 30 } }));
    await settle(20);
    client.emit(
      statusOf('connected', {
        timings: { ...T, login_ms: 90, bootstrap_ms: 30, spa_ms: 2, tls_handshake_ms: 10, openvpn_ms: 200 },
        session: {
          session_id: 's-1',
          gateway_fqdn: 'gw.viworks.internal',
          connected_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          virtual_ip: '10.8.0.6',
          browser: null,
        },
        traffic: { bytes_in: 0, bytes_out: 0, last_activity_at: new Date().toISOString() },
      }),
    );
    return { v: 1, state: 'connected' };
  });
  client.answer('disconnect', async () => {
    client.emit(statusOf('disconnecting'));
    await settle(20);
    client.emit(statusOf('enrolled'));
    return { v: 1, state: 'enrolled' };
  });

  const { lastFrame, stdin } = render(<App client={client} />);
  await frameWith(lastFrame, '[c] connect');
  stdin.write('c');
  await frameWith(lastFrame, 'Password:');
  assert.match(lastFrame() ?? '', /\[Enter\] submit/);
  // q is typed into the field, not taken as quit.
  stdin.write('q-secret');
  await frameWith(lastFrame, 'Password: ••••••••');
  stdin.write('\r');
  await frameWith(lastFrame, 'Code expires in');
  assert.match(lastFrame() ?? '', /✔ Login OK|Login OK\. Enter the code/);
  stdin.write('123456');
  await frameWith(lastFrame, 'Code: 123456');
  stdin.write('\r');
  const connected = await frameWith(lastFrame, 'Connected via gw.viworks.internal');
  assert.match(connected, /✔ OVPN up/);
  assert.match(connected, /Tunnel address: 10\.8\.0\.6/);
  assert.match(connected, /\[d\] disconnect/);
  assert.ok(!connected.includes('q-secret') && !connected.includes('123456'));
  assert.deepEqual(
    client.calls.map((c) => c.method),
    ['connect', 'login', 'otp', 'connect'],
  );
  assert.deepEqual(client.calls[1]?.body, { password: 'q-secret' });
  assert.deepEqual(client.calls[2]?.body, { otp_code: '123456' });
  stdin.write('d');
  await frameWith(lastFrame, 'Press c to connect');
  assert.equal(client.calls.at(-1)?.method, 'disconnect');
});

it('App: a one-time password is replaced, then the new code', async () => {
  const client = new FakeClient();
  client.emit(statusOf('enrolled'));
  client.answer('connect', authRequired);
  const pending = () => {
    client.emit(statusOf('otp_pending', { otp_expires_at: new Date(Date.now() + 120_000).toISOString() }));
    return { v: 1, state: 'otp_pending', otp_expires_at: '' };
  };
  client.answer('login', async () => pending());
  client.answer('otp', async () => {
    client.emit(statusOf('enrolled'));
    return { v: 1, state: 'enrolled', password_change_required: true };
  });
  client.answer('login', async () => pending());
  const { lastFrame, stdin } = render(<App client={client} />);
  await frameWith(lastFrame, '[c] connect');
  stdin.write('c');
  await frameWith(lastFrame, 'Password:');
  stdin.write('one-time\r');
  await frameWith(lastFrame, 'Code expires in');
  stdin.write('111111\r');
  await frameWith(lastFrame, 'New password:');
  stdin.write('a much better pass 42\r');
  await frameWith(lastFrame, 'Again:');
  stdin.write('a much better pass 42\r');
  await frameWith(lastFrame, 'Code expires in');
  assert.deepEqual(
    client.calls.map((c) => c.method),
    ['connect', 'login', 'otp', 'password', 'login'],
  );
  assert.deepEqual(client.calls[4]?.body, { password: 'a much better pass 42' });
});

it('App: a wrong code shows its error and the code can be typed again', async () => {
  const client = new FakeClient();
  client.emit(statusOf('otp_pending', { otp_expires_at: new Date(Date.now() + 60_000).toISOString() }));
  client.answer('otp', () => Promise.reject(new ViworksError('VIW_E_OTP_INVALID')));
  const { lastFrame, stdin } = render(<App client={client} />);
  await frameWith(lastFrame, 'Code expires in');
  stdin.write('000000\r');
  await frameWith(lastFrame, 'Diagnostic code: VIW_E_OTP_INVALID');
  assert.match(lastFrame() ?? '', /Code:/);
});

it('App: the log pane follows the logs stream; l hides and shows it', async () => {
  const client = new FakeClient();
  client.emit(statusOf('enrolled'));
  const { lastFrame, stdin } = render(<App client={client} />);
  await frameWith(lastFrame, 'Daemon log');
  client.log({ ...LINE, msg: 'auth.login ok' });
  await frameWith(lastFrame, 'auth.login ok');
  stdin.write('l');
  await frameWith(lastFrame, '[l] logs');
  assert.ok(!(lastFrame() ?? '').includes('Daemon log'));
  stdin.write('l');
  await frameWith(lastFrame, 'Daemon log');
});

it('App: resize — the layout takes the new width and the log pane the new height', async () => {
  const client = new FakeClient();
  client.emit(statusOf('enrolled'));
  for (let i = 0; i < 30; i++) client.log({ ...LINE, msg: `line ${i} ${'x'.repeat(80)}` });
  const r = render(<App client={client} />);
  await frameWith(r.lastFrame, 'line 29');
  const widest = (f: string) => Math.max(...f.split('\n').map((l) => l.length));
  assert.ok(widest(r.lastFrame() ?? '') <= 100);
  const countLines = (f: string) => f.split('\n').filter((l) => l.includes(' line ')).length;
  const before = countLines(r.lastFrame() ?? '');
  Object.defineProperty(r.stdout, 'columns', { value: 50, configurable: true });
  Object.defineProperty(r.stdout, 'rows', { value: 60, configurable: true });
  r.stdout.emit('resize');
  await settle(50);
  const after = r.lastFrame() ?? '';
  assert.ok(widest(after) <= 50, `fits 50 columns:\n${after}`);
  assert.ok(countLines(after) > before, 'a taller terminal shows more log lines');
});

it('App: q quits', async () => {
  const client = new FakeClient();
  client.emit(statusOf('enrolled'));
  const states: string[] = [];
  const r = render(<App client={client} onState={(s) => states.push(s)} />);
  await frameWith(r.lastFrame, 'Press c to connect');
  r.stdin.write('q');
  await settle(50);
  assert.deepEqual(states, ['enrolled']);
  // After exit nothing more is drawn.
  const frames = r.frames.length;
  client.emit(statusOf('idle'));
  await settle(50);
  assert.equal(r.frames.length, frames);
});
