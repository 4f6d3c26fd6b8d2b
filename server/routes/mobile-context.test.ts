// What the phone is told about a waiting login (GET /mobile/otp `context`): the desktop's name (its
// device record's, or the one an enrolling desktop proposed), and the source's country and AS from
// configured MaxMind DB files (real MMDB files written by server/testing/mmdb-writer.ts), or the
// `private` marker for a non-routable source such as every test connection's 127.x address.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identityDeps } from '../services/auth/identity.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createUser,
  ctxOf,
  enrollBody,
  enrolledDesktop,
  freshIp,
  loginBody,
  newDesktopKeys,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';
import { asnRecord, countryRecord, writeMmdb } from '../testing/mmdb-writer.js';

const PW = 'context test password 42';

describe('GET /mobile/otp context', () => {
  let ts: TestServer;
  let dir: string;
  let userId = '';
  let phone: Awaited<ReturnType<typeof boundPhone>>;
  const files = () => ({ geoipCountryDb: join(dir, 'country.mmdb'), geoipAsnDb: join(dir, 'asn.mmdb') });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-geo-'));
    const { geoipCountryDb, geoipAsnDb } = files();
    writeFileSync(
      geoipCountryDb,
      writeMmdb(
        [
          { cidr: '203.0.113.0/24', data: countryRecord('DE', 'Germany') },
          { cidr: '2001:db8::/32', data: countryRecord('NL', 'Netherlands') },
          { cidr: '127.0.0.0/8', data: countryRecord('FR', 'France') }, // never shown: private
        ],
        { databaseType: 'GeoLite2-Country' },
      ),
    );
    writeFileSync(
      geoipAsnDb,
      writeMmdb([{ cidr: '203.0.113.0/24', data: asnRecord(64500, 'Example Carrier GmbH') }], {
        databaseType: 'GeoLite2-ASN',
      }),
    );
    ts = await startTestServer({ mode: 'development', geoipCountryDb, geoipAsnDb });
    userId = (await createUser(ts, 'mira', PW)).id;
    phone = await boundPhone(ts, userId);
  });
  after(async () => {
    await ts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (desk: Awaited<ReturnType<typeof enrolledDesktop>>) => {
    const r = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
      keyId: desk.deviceId,
      secretKey: desk.keys.signing.secretKey,
      json: loginBody('mira', PW, desk.deviceId),
      localAddress: freshIp(),
    });
    assert.equal(r.status, 200, r.text);
    return r.body.txn_id;
  };

  it('names the desktop of a login and marks its loopback source private, without a lookup', async () => {
    const desk = await enrolledDesktop(ts, 'mira', PW, 'mira-laptop');
    const txn = await login(desk);
    const otp = await phoneClient(ts).pendingOtp(phone);
    assert.equal(otp?.txn_id, txn);
    assert.deepEqual(
      { ...otp?.context, source_ip: 'x', requested_at: 'x' },
      {
        source_ip: 'x',
        source_network: 'private',
        country: null,
        asn: null,
        device_id: desk.deviceId,
        device_name: 'mira-laptop',
        device_platform: 'linux',
        requested_at: 'x',
      },
    );
    assert.match(otp?.context.source_ip ?? '', /^127\./);
    assert.match(ts.logs(), /"setting":"geoipCountryDb","type":"GeoLite2-Country"/);

    const unnamed = await enrolledDesktop(ts, 'mira', PW);
    await login(unnamed);
    assert.equal((await phoneClient(ts).pendingOtp(phone))?.context.device_name, null);
  });

  it('shows the name an enrolling desktop proposed, normalized, and stores it on the device', async () => {
    const keys = await newDesktopKeys();
    const ip = freshIp();
    const enroll = (name: string) =>
      signedCall<{ txn_id: string; code?: string }>(ts, '/device/enroll', {
        keyId: keys.fingerprint,
        secretKey: keys.signing.secretKey,
        json: enrollBody(keys, { username: 'mira', password: PW, device_name: name }),
        localAddress: ip,
      });
    // A name that could reorder what the phone shows around it is refused at the edge.
    for (const bad of ['evil\u202eexe', 'two\nlines', '', 'x'.repeat(65)]) {
      const refused = await enroll(bad);
      assert.equal(refused.status, 400, bad);
      assert.equal(refused.body.code, 'VIW_E_VALIDATION');
    }
    const started = await enroll('  Mira’s   new\u00a0desktop ');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const otp = await phoneClient(ts).pendingOtp(phone);
    assert.equal(otp?.purpose, 'enroll');
    assert.equal(otp?.context.device_id, null);
    assert.equal(otp?.context.device_name, 'Mira’s new desktop');
    const done = await signedCall<{ device_id: string }>(ts, '/device/enroll/confirm', {
      keyId: keys.fingerprint,
      secretKey: keys.signing.secretKey,
      json: { txn_id: started.body.txn_id, otp_code: otp?.code },
      localAddress: ip,
    });
    assert.equal(done.status, 201);
    const row = await ctxOf(ts).db.desktopDevice.findUnique({ where: { id: done.body.device_id } });
    assert.equal(row?.name, 'Mira’s new desktop');
  });

  it('gives country and AS of a public source from the configured databases, null where unknown', async () => {
    const desk = await enrolledDesktop(ts, 'mira', PW, 'travel-box');
    const { txns } = identityDeps(ctxOf(ts));
    // Test connections only come from loopback: the challenge is stored as if the login had
    // come from these (documentation-range) addresses.
    const from = async (sourceIp: string) => {
      await txns.createGenuine(userId, {
        purpose: 'login',
        signerKeyId: desk.deviceId,
        deviceId: desk.deviceId,
        deviceName: 'travel-box',
        devicePlatform: 'linux',
        sourceIp,
      });
      const otp = await phoneClient(ts).pendingOtp(phone);
      assert.equal(otp?.context.source_ip, sourceIp);
      const { source_network, country, asn } = otp?.context ?? {};
      return { source_network, country, asn };
    };
    assert.deepEqual(await from('203.0.113.50'), {
      source_network: 'public',
      country: 'DE',
      asn: { number: 64500, organization: 'Example Carrier GmbH' },
    });
    assert.deepEqual(await from('2001:db8::77'), { source_network: 'public', country: 'NL', asn: null });
    assert.deepEqual(await from('198.51.100.4'), { source_network: 'public', country: null, asn: null });
    assert.deepEqual(await from('10.20.30.40'), { source_network: 'private', country: null, asn: null });
  });

  it('a configured database that is missing or not a MaxMind DB stops the start (VIW_E_CONFIG)', async () => {
    const garbage = join(dir, 'garbage.mmdb');
    writeFileSync(garbage, 'country,asn\n');
    for (const overrides of [{ geoipAsnDb: join(dir, 'missing.mmdb') }, { geoipCountryDb: garbage }]) {
      await assert.rejects(
        startTestServer({ mode: 'development', ...files(), ...overrides }),
        (err: { code?: string; details?: string[] }) =>
          err.code === 'VIW_E_CONFIG' && /^geoip(Asn|Country)Db: /.test(err.details?.[0] ?? ''),
      );
    }
  });

  it('unconfigured: public sources carry no country or AS', async () => {
    const plain = await startTestServer({ mode: 'development' });
    try {
      const id = (await createUser(plain, 'mira', PW)).id;
      const p = await boundPhone(plain, id);
      await identityDeps(ctxOf(plain)).txns.createGenuine(id, {
        purpose: 'login',
        signerKeyId: 'x',
        deviceId: null,
        deviceName: null,
        devicePlatform: 'linux',
        sourceIp: '203.0.113.50',
      });
      const otp = await phoneClient(plain).pendingOtp(p);
      assert.equal(otp?.context.source_network, 'public');
      assert.equal(otp?.context.country, null);
      assert.equal(otp?.context.asn, null);
    } finally {
      await plain.stop();
    }
  });
});
