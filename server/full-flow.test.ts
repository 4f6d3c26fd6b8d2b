// The whole backend flow over real HTTPS with pinning: enroll with a fleet token → bind the phone
// → device-signed login → the phone reads the OTP → verify → sealed bootstrap opened by the device
// key → replay refused → revocation pushed to the client's event stream. It runs on the embedded
// default (one instance, SQLite, in-process store) and on the scale-out path (two instances sharing
// one real PostgreSQL and Redis, and the data directory that holds the PKI and server secrets),
// where each step hops between instances. Afterwards every log line and the audit stream are
// searched for every secret of the flow, bootstrap key material included.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse, VerifyResponse } from '../core/api/auth.js';
import { encodeKey32 } from '../core/api/common.js';
import type { EnrolledDevice } from '../core/api/device.js';
import { validateBootstrap } from '../core/bootstrap/payload.js';
import { toWireId } from '../core/bootstrap/wire-ids.js';
import { openEnvelope } from '../core/crypto/envelope.js';
import { deviceFingerprint } from '../core/crypto/fingerprints.js';
import { generateDeviceKeyPair, importPrivateKey } from '../core/crypto/hpke.js';
import { generateSigningKeyPair } from '../core/crypto/request-signing.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { postgresPeers, startPostgres, type TestPostgres } from '../scripts/testkit/postgres.js';
import { REDIS_SERVER, startTestRedis, type TestRedis } from '../scripts/testkit/redis.js';
import { startTestServer, type TestServer } from './testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  enrollBody,
  freshIp,
  loginBody,
  phoneClient,
  signedCall,
} from './testing/identity-fixtures.js';
import { openEvents } from './testing/sse-client.js';

const pgSkip = postgresPeers().skip;
const redisSkip = needPeers({ binaries: [REDIS_SERVER], apt: 'redis-server' }).skip;

describe('full flow on the embedded default: one instance, SQLite, in-process store', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ mode: 'development' });
  });
  after(async () => srv?.stop());

  it('enroll → phone → login → OTP → verify → bootstrap → replay refused → revocation pushed', async () => {
    assert.equal(srv.server.banner.database, 'sqlite');
    await fullFlow(srv, srv, 'dave');
  });
});

describe('scale-out: two instances on one PostgreSQL + Redis', { skip: pgSkip ?? redisSkip }, () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let dataDir: string;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startTestRedis()]);
    dataDir = mkdtempSync(join(tmpdir(), 'viw-scale-'));
    const shared = { dataDir, databaseUrl: pg.url, redisUrl: redis.url, mode: 'development' as const };
    // A initializes the shared data directory (PKI, secrets, schema); B starts on what A created.
    a = await startTestServer(shared);
    b = await startTestServer(shared);
  });
  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([pg?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves one identity: same pins on both, one database, one store', () => {
    assert.equal(a.server.banner.database, 'postgresql');
    assert.deepEqual(b.server.banner.backend_pins, a.server.banner.backend_pins);
    assert.ok(a.adminPassword, 'A created the first admin');
    assert.equal(b.server.banner.first_admin, null, 'B found it already there');
  });

  it('login on A, OTP seen via B, verify on B, bootstrap on A; replay on B refused; revocation on B reaches A', async () => {
    await fullFlow(a, b, 'carol');
  });
});

async function fullFlow(a: TestServer, b: TestServer, username: string): Promise<void> {
  const password = 'scale out correct horse 42';
  const user = await createUser(a, username, password);
  const hpke = await generateDeviceKeyPair();
  const signing = generateSigningKeyPair();
  const fingerprint = deviceFingerprint(hpke.publicKey, signing.publicKey);
  const keys = {
    hpkePublicKey: encodeKey32(hpke.publicKey),
    signingPublicKey: encodeKey32(signing.publicKey),
    fingerprint,
    signing,
  };
  const ip = freshIp();

  const enrolled = await signedCall<EnrolledDevice>(a, '/device/enroll', {
    keyId: fingerprint,
    secretKey: signing.secretKey,
    json: enrollBody(keys, { username: username, password, enrollment_token: await createToken(a) }),
    localAddress: ip,
  });
  assert.equal(enrolled.status, 201, enrolled.text);
  const deviceId = enrolled.body.device_id;
  const phone = await boundPhone(b, user.id);

  const login = await signedCall<LoginResponse>(a, '/auth/login', {
    keyId: deviceId,
    secretKey: signing.secretKey,
    json: loginBody(username, password, deviceId),
    localAddress: ip,
  });
  assert.equal(login.status, 200, login.text);
  const otp = await phoneClient(b).pendingOtp(phone, 5);
  assert.ok(otp, 'instance B sees the challenge created on A');
  assert.equal(otp.txn_id, login.body.txn_id);

  const verify = await signedCall<VerifyResponse>(b, '/auth/verify', {
    keyId: deviceId,
    secretKey: signing.secretKey,
    json: { txn_id: login.body.txn_id, otp_code: otp.code },
    localAddress: ip,
  });
  assert.equal(verify.status, 200, verify.text);

  const grantHeaders = {
    authorization: `Bearer ${verify.body.access_token}`,
    'viworks-bootstrap-grant': verify.body.bootstrap_grant,
  };
  const boot = await a.call<{ envelope: unknown; session_id: string }>('/client/bootstrap', {
    headers: grantHeaders,
    localAddress: ip,
  });
  assert.equal(boot.status, 200, boot.text);
  const recipientKey = await importPrivateKey(hpke.privateKey);
  hpke.privateKey.fill(0);
  const plaintext = await openEnvelope(boot.body.envelope, {
    recipientKey,
    expectedDeviceId: toWireId('d', deviceId),
  });
  const payload = validateBootstrap(JSON.parse(Buffer.from(plaintext).toString('utf8')));
  plaintext.fill(0);
  const bootstrapSecrets = [
    payload.ovpn.key_inline,
    payload.ovpn.tls_crypt_key_inline,
    payload.spa.enc_key,
    payload.spa.hmac_key,
  ];
  assert.equal(payload.session_id, boot.body.session_id);

  const replay = await b.call<{ code: string }>('/client/bootstrap', {
    headers: grantHeaders,
    localAddress: ip,
  });
  assert.equal(replay.status, 409);
  assert.equal(replay.body.code, 'VIW_E_BOOTSTRAP_REPLAY');

  // The client's event stream lives on A; the administrator's revocation happens on B.
  const stream = openEvents(a, boot.body.session_id, verify.body.access_token);
  assert.equal((await stream.next()).event, 'state');
  const sessionId = (await ctxOf(a).db.session.findFirstOrThrow({ where: { userId: user.id } })).id;
  const started = performance.now();
  const ended = await import('./services/client/end-sessions.js').then(({ endSessions }) =>
    endSessions(ctxOf(b).sessionEnd, { sessionId }, 'revoked'),
  );
  assert.deepEqual(ended, [sessionId]);
  const revoked = await stream.next();
  const latency = performance.now() - started;
  assert.equal(revoked.event, 'revoked');
  assert.ok(latency < 1000, `revocation crossed instances in ${latency.toFixed(0)} ms`);
  await stream.closed;

  // No instance logged or audited a secret of the flow; key material is also searched by its PEM body.
  const logs = a.logs() + b.logs();
  const audit = readFileSync(join(a.dataDir, 'audit', 'audit.ndjson'), 'utf8');
  const needles = [
    password,
    otp.code,
    verify.body.access_token,
    verify.body.bootstrap_grant,
    ...bootstrapSecrets,
  ];
  for (const secret of bootstrapSecrets) needles.push(...secret.split('\n').filter((l) => l.length >= 32));
  for (const secret of needles) {
    assert.ok(!logs.includes(secret), 'a secret reached a log line');
    assert.ok(!audit.includes(secret), 'a secret reached the audit stream');
  }
  assert.ok(logs.length > 1000 && audit.includes('bootstrap.issue'), 'the searched output is real');
}
