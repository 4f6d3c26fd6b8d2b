// viworksd end to end against a REAL backend (HTTPS, pinning, signing, HPKE): the typed LocalClient
// over a real Unix socket drives enroll (token) → login → the phone's OTP → connect → connected,
// watched on the NDJSON stream; an administrator's revocation tears the tunnel down within 1 s;
// afterwards the daemon's logs, API answers and state files are searched for every secret.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Status } from '../core/api/local.js';
import { fromWireId } from '../core/bootstrap/wire-ids.js';
import { isViworksError } from '../core/errors/viworks-error.js';
import { decodeSpa } from '../core/spa/index.js';
import type { PhoneIdentity } from '../mobile/sim/phone-client.js';
import { endSessions } from '../server/services/client/end-sessions.js';
import { readDeviceSpaKeys } from '../server/services/device/spa-keys.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  phoneClient,
} from '../server/testing/identity-fixtures.js';
import { DEVICE_HPKE_KEY, DEVICE_SIGNING_KEY } from './keystore/keystore.js';
import { type DaemonFixture, startDaemonFixture } from './testing/daemon-fixture.js';
import { StatusRecorder, searchSecrets } from './testing/recorders.js';

const USERNAME = 'erin';
const PASSWORD = 'erin correct horse battery 42';

let ts: TestServer;
let d: DaemonFixture;
let phone: PhoneIdentity;
let userId: string;
let spa: Socket | null = null;
const spaPackets: string[] = [];
const otpCodes: string[] = [];
const answers: string[] = [];
let watch: StatusRecorder;

before(async () => {
  ts = await startTestServer({ mode: 'development' });
  userId = (await createUser(ts, USERNAME, PASSWORD)).id;
  phone = await boundPhone(ts, userId);
  d = await startDaemonFixture();
  watch = new StatusRecorder(d.client);
  await watch.started;
  // The knock goes to the gateway's SPA port; here that is loopback (the gateway FQDN resolves to it).
  spa = await new Promise<Socket | null>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(null));
    s.on('message', (m) => spaPackets.push(m.toString('ascii')));
    s.bind(62201, '127.0.0.1', () => resolve(s));
  });
});
after(async () => {
  watch?.stop();
  spa?.close();
  await d?.stop();
  await ts?.stop();
});

const keep = <T>(v: T): T => {
  answers.push(JSON.stringify(v));
  return v;
};

async function phoneCode(): Promise<string> {
  const pending = await phoneClient(ts).pendingOtp(phone, 10);
  assert.ok(pending, 'the phone shows a code');
  otpCodes.push(pending.code);
  return pending.code;
}

describe('viworksd against the real backend', () => {
  it('refuses a backend whose key matches neither pin (VIW_E_PIN_MISMATCH), leaving no keys', async () => {
    const pin = (c: string) => `${c.repeat(43)}=`;
    await assert.rejects(
      d.client.enroll({
        backend_url: `https://127.0.0.1:${ts.server.port}`,
        backend_pins: { primary_b64: pin('A'), backup_b64: pin('B') },
        ca_pem: ts.ca,
        username: USERNAME,
        password: PASSWORD,
        enrollment_token: await createToken(ts),
      }),
      (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
    const s = keep(await d.client.status());
    assert.equal(s.device, null);
    assert.equal(s.last_error?.code, 'VIW_E_PIN_MISMATCH');
    assert.equal(await d.keyStore.get(DEVICE_HPKE_KEY), null);
  });

  it('enroll (token) → login → phone OTP → otp → connect: connected, every state on the watch stream', async () => {
    const enrolled = keep(
      await d.client.enroll({
        backend_url: `https://127.0.0.1:${ts.server.port}`,
        backend_pins: ts.server.banner.backend_pins,
        ca_pem: ts.ca,
        username: USERNAME,
        password: PASSWORD,
        enrollment_token: await createToken(ts),
      }),
    );
    assert.equal(enrolled.enroll_state, 'enrolled');
    assert.equal(enrolled.device?.status, 'active');
    assert.equal(enrolled.device?.key_protection, 'software');
    assert.equal(statSync(join(d.stateDir, 'device.json')).mode & 0o777, 0o600);
    assert.deepEqual(keep(await d.client.device()), enrolled.device);

    const login = keep(await d.client.login({ password: PASSWORD }));
    assert.equal(login.state, 'otp_pending');
    const otp = keep(await d.client.otp({ otp_code: await phoneCode() }));
    assert.deepEqual(otp, { v: 1, state: 'enrolled', password_change_required: false });

    const connected = keep(await d.client.connect());
    assert.equal(connected.state, 'connected');
    const s = keep(await d.client.status());
    assert.equal(s.state, 'connected');
    assert.match(s.session?.session_id ?? '', /^s-[0-9a-f]{32}$/);
    assert.equal(s.session?.virtual_ip, '10.8.0.6');
    assert.equal(s.session?.gateway_fqdn, 'gw.viworks.internal');
    for (const k of [
      'login_ms',
      'bootstrap_ms',
      'spa_ms',
      'tls_handshake_ms',
      'openvpn_ms',
      'total_connect_ms',
    ] as const) {
      assert.equal(typeof s.timings[k], 'number', k);
    }

    // What the engine handed the (fake) TLS proxy and OpenVPN came out of the opened envelope.
    const gw = ctxOf(ts).gateway;
    assert.deepEqual(d.tls.starts[0]?.gatewayPins, gw.pins);
    assert.equal(d.tls.starts[0]?.gatewayHost, '127.0.0.1');
    assert.match(d.openvpn.starts[0]?.secrets.clientKeyPem.toString() ?? '', /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(
      d.openvpn.starts[0]?.secrets.clientKeyPem,
      d.tls.starts[0]?.clientKeyPem,
      'one Buffer, the session’s',
    );
    assert.equal(d.openvpn.starts[0]?.remotePort, 11194);

    await watch.until((st) => st.state === 'connected');
    assert.deepEqual(watch.states(), [
      'idle',
      'error', // the refused enrollment above
      'enrolled',
      'logging_in',
      'otp_pending',
      'enrolled',
      'bootstrapping',
      'preflight',
      'spa',
      'tls',
      'openvpn',
      'connected',
    ]);
  });

  it('sent a real SPA knock the gateway keys open: fresh, for this device, for tcp/443 from loopback', async (t) => {
    if (!spa) return t.skip('UDP 62201 on loopback is taken');
    assert.equal(spaPackets.length, 1);
    const deviceId = (await d.client.device()).device_id;
    const keys = await readDeviceSpaKeys(ctxOf(ts), deviceId);
    assert.ok(keys);
    const knock = decodeSpa(spaPackets[0]!, { encKey: keys.encKey, hmacKey: keys.hmacKey });
    assert.equal(fromWireId('d', knock.username), deviceId);
    assert.equal(knock.accessIp, '127.0.0.1');
    assert.deepEqual(knock.accessPorts, [{ proto: 'tcp', port: 443 }]);
  });

  it("an administrator's revocation leaves `connected` within 1 s and stops the tunnel", async () => {
    const mark = watch.mark();
    const started = performance.now();
    const ended = await endSessions(ctxOf(ts).sessionEnd, { userId }, 'revoked');
    assert.equal(ended.length, 1);
    await watch.until((st) => st.state !== 'connected', mark);
    const latency = performance.now() - started;
    assert.ok(latency < 1000, `left connected after ${latency.toFixed(0)} ms`);
    const after = await watch.until((st) => st.state === 'error', mark);
    assert.equal(after.last_error?.code, 'VIW_E_SESSION_REVOKED');
    assert.equal(after.session, null);
    assert.equal(d.openvpn.handles[0]?.stopped, 1);
    assert.equal(d.tls.handles[0]?.stopped, 1);
    // The access token and grant went with the session: connecting again needs a new login.
    await assert.rejects(d.client.connect(), (e) => isViworksError(e, 'VIW_E_AUTH_REQUIRED'));
  });

  it('logs in again, connects, and a user disconnect ends the session on the backend too', async () => {
    keep(await d.client.login({ password: PASSWORD }));
    keep(await d.client.otp({ otp_code: await phoneCode() }));
    keep(await d.client.connect());
    const sid = (await d.client.status()).session?.session_id;
    assert.ok(sid);
    const done = keep(await d.client.disconnect());
    assert.equal(done.state, 'enrolled');
    const row = await ctxOf(ts).db.session.findUniqueOrThrow({ where: { id: fromWireId('s', sid)! } });
    assert.ok(row.endedAt, 'the backend session ended');
    assert.equal(row.endReason, 'logout');
    assert.equal(d.openvpn.handles[1]?.stopped, 1);
    // The session's key material was handed over as Buffers, and those are zero now.
    const secrets = d.openvpn.starts.at(-1)!.secrets;
    assert.ok(secrets.clientKeyPem.length > 100 && secrets.clientKeyPem.every((b) => b === 0));
    assert.ok(secrets.tlsCryptKey.length > 500 && secrets.tlsCryptKey.every((b) => b === 0));
  });

  it('never shows the password, a code, a token or a key in logs, answers, watch lines or state files', async () => {
    const logsViaApi: string[] = [];
    for await (const line of d.client.logs()) logsViaApi.push(JSON.stringify(line));
    assert.ok(logsViaApi.length > 10 && logsViaApi.some((l) => l.includes('session.connected')));
    const hpke = await d.keyStore.get(DEVICE_HPKE_KEY);
    const seed = await d.keyStore.get(DEVICE_SIGNING_KEY);
    assert.ok(hpke && seed);
    const deviceId = (await d.client.device()).device_id;
    const spaKeys = await readDeviceSpaKeys(ctxOf(ts), deviceId);
    const files = readdirSync(d.stateDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(join(f.parentPath, f.name)).toString('latin1'));
    const haystacks = {
      'daemon log': d.logText(),
      'GET /v1/logs': logsViaApi.join('\n'),
      'API answers': answers.join('\n'),
      'watch lines': watch.lines.join('\n'),
      'state files': files.join('\n'),
    };
    searchSecrets(haystacks, {
      strings: [PASSWORD, ...otpCodes, ...d.openvpn.receivedKeys],
      keys: [hpke, seed, ...(spaKeys ? [spaKeys.encKey, spaKeys.hmacKey] : [])],
    });
    hpke.fill(0);
    seed.fill(0);
  });
});

export type { Status };
