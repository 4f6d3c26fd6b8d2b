import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BootstrapResponse } from '../../core/api/client.js';
import { type BootstrapPayload, parseBootstrap } from '../../core/bootstrap/payload.js';
import { fromWireId, toWireId } from '../../core/bootstrap/wire-ids.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type { AppContext } from '../context.js';
import { bootstrapGrants } from '../services/auth/grants.js';
import { type Desktop, enrolledDesktop, fetchBootstrap, loginTokens } from '../testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../testing/harness.js';

let srv: TestServer;
let ctx: AppContext;

before(async () => {
  srv = await startTestServer();
  ctx = srv.server.ctx!;
});
after(() => srv.stop());

async function bootstrapFor(d: Desktop) {
  const t = await loginTokens(ctx, d);
  const reply = await fetchBootstrap<BootstrapResponse>(srv, t);
  assert.equal(reply.status, 200, reply.text);
  const pt = await openEnvelope(reply.body.envelope, {
    recipientKey: d.recipientKey,
    expectedDeviceId: d.wireDeviceId,
    expectedSessionId: reply.body.session_id,
  });
  const payload = parseBootstrap(pt);
  pt.fill(0);
  return { t, reply, payload };
}

const pemBody = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');

function openssl(args: string[], files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(srv.dataDir, name), text);
  try {
    return execFileSync('openssl', args, { cwd: srv.dataDir, stdio: 'pipe' }).toString();
  } catch (err) {
    return (
      String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '')
    );
  }
}

describe('GET /client/bootstrap', () => {
  it('seals a valid payload v1 to the device, with a per-session client certificate', async () => {
    const d = await enrolledDesktop(ctx);
    const { reply, payload } = await bootstrapFor(d);
    const sessionId = fromWireId('s', reply.body.session_id)!;
    const session = await ctx.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    assert.equal(session.userId, d.user.id);
    assert.equal(session.deviceId, d.device.id);
    assert.equal(session.gatewayId, ctx.gateway.id);
    assert.equal(reply.body.expires_at, session.expiresAt.toISOString());
    assert.ok(
      session.expiresAt.getTime() - session.createdAt.getTime() <= ctx.config.sessionLifetimeS * 1000,
    );

    // Ids, pins, gateway and policy as the server knows them.
    assert.equal(payload.user, ctx.audit.userPseudonym(d.user.auditId));
    assert.equal(payload.session_id, reply.body.session_id);
    assert.equal(payload.device_id, d.wireDeviceId);
    assert.equal(payload.spa.username, d.wireDeviceId);
    assert.equal(payload.gw_fqdn, ctx.config.gatewayFqdn);
    assert.deepEqual(payload.spki_pins.backend, ctx.pki.backendApi.pins);
    assert.deepEqual(payload.spki_pins.gateway, ctx.gateway.pins);
    assert.equal(payload.ovpn.tls_crypt_key_inline, ctx.gateway.tlsCryptKey);
    assert.equal(Buffer.from(payload.spa.enc_key, 'base64').length, 32);
    assert.equal(Buffer.from(payload.spa.hmac_key, 'base64').length, 64);
    assert.equal(payload.policy.idle_timeout_s, ctx.config.idleTimeoutS);
    assert.ok(Date.parse(reply.body.envelope.aad.exp) - Date.now() <= 600_000);

    // The client certificate: CN = session id, chains to int-vpn → root, valid no longer than the session.
    const cert = new X509Certificate(payload.ovpn.cert_inline);
    assert.equal(cert.subject, `CN=${reply.body.session_id}\nO=ViWorkS`);
    assert.ok(Date.parse(cert.validTo) <= session.expiresAt.getTime());
    assert.ok(cert.checkPrivateKey(createPrivateKey(payload.ovpn.key_inline)));
    assert.equal(cert.serialNumber.toLowerCase(), session.clientCertSerial);
    const issued = await ctx.db.issuedCertificate.findUniqueOrThrow({
      where: { serial: session.clientCertSerial! },
    });
    assert.equal(issued.sessionId, session.id);
    assert.equal(issued.profile, 'vpn_client');
    const [intVpn, root] = payload.ovpn.ca_inline.split(/(?<=-----END CERTIFICATE-----\n)/);
    const out = openssl(
      [
        'verify',
        '-x509_strict',
        '-purpose',
        'sslclient',
        '-CAfile',
        'b-root.pem',
        '-untrusted',
        'b-int.pem',
        'b-leaf.pem',
      ],
      { 'b-root.pem': root!, 'b-int.pem': intVpn!, 'b-leaf.pem': payload.ovpn.cert_inline },
    );
    assert.match(out, /b-leaf\.pem: OK/);
  });

  it('delivers once: the second fetch with the same grant is VIW_E_BOOTSTRAP_REPLAY', async () => {
    const d = await enrolledDesktop(ctx);
    const { t } = await bootstrapFor(d);
    const again = await fetchBootstrap(srv, t);
    assert.equal(again.status, 409);
    assert.equal((again.body as { code: string }).code, 'VIW_E_BOOTSTRAP_REPLAY');
  });

  it('refuses missing, forged and mismatched credentials with stable codes and no stacks', async () => {
    const a = await enrolledDesktop(ctx);
    const b = await enrolledDesktop(ctx);
    const ta = await loginTokens(ctx, a);
    const tb = await loginTokens(ctx, b);
    const forged = `viw_at_${'A'.repeat(43)}`;
    const cases: Array<[string, { accessToken?: string; grant?: string }, number, string]> = [
      ['no token', { grant: ta.grant }, 401, 'VIW_E_AUTH_REQUIRED'],
      ['forged token', { accessToken: forged, grant: ta.grant }, 401, 'VIW_E_TOKEN_INVALID'],
      ['grant as token', { accessToken: ta.grant, grant: ta.grant }, 401, 'VIW_E_TOKEN_INVALID'],
      ['no grant', { accessToken: ta.accessToken }, 401, 'VIW_E_TOKEN_INVALID'],
      [
        'forged grant',
        { accessToken: ta.accessToken, grant: `viw_bg_${'B'.repeat(43)}` },
        401,
        'VIW_E_TOKEN_INVALID',
      ],
      [
        "another device's grant",
        { accessToken: ta.accessToken, grant: tb.grant },
        401,
        'VIW_E_TOKEN_INVALID',
      ],
    ];
    for (const [name, creds, status, code] of cases) {
      const r = await fetchBootstrap(srv, creds);
      assert.equal(r.status, status, name);
      assert.equal((r.body as { code: string }).code, code, name);
      assert.doesNotMatch(r.text, /\bat .*\.ts:\d+|stack/i, name);
    }
    // Device A's token with device B's grant burnt B's grant (it was presented); nothing was issued.
    assert.equal(await ctx.db.session.count({ where: { deviceId: { in: [a.device.id, b.device.id] } } }), 0);
  });

  it('refuses another source address without consuming the grant', async () => {
    const d = await enrolledDesktop(ctx);
    const t = await loginTokens(ctx, d, { sourceIp: '192.0.2.44' });
    const r = await fetchBootstrap(srv, t);
    assert.equal(r.status, 403);
    assert.equal((r.body as { code: string }).code, 'VIW_E_SOURCE_CHANGED');
    assert.notEqual(await bootstrapGrants(ctx.kv).read(t.grant), null);
  });

  it('refuses devices that are pending or unbound', async () => {
    for (const [status, code] of [
      ['pending_approval', 'VIW_E_DEVICE_PENDING'],
      ['revoked', 'VIW_E_DEVICE_REVOKED'],
    ] as const) {
      const d = await enrolledDesktop(ctx, status);
      const r = await fetchBootstrap(srv, await loginTokens(ctx, d));
      assert.equal(r.status, 403, status);
      assert.equal((r.body as { code: string }).code, code);
    }
  });

  it("seals to one device: device B cannot open device A's envelope", async () => {
    const a = await enrolledDesktop(ctx);
    const b = await enrolledDesktop(ctx);
    const r = await fetchBootstrap<BootstrapResponse>(srv, await loginTokens(ctx, a));
    assert.equal(r.status, 200);
    for (const expectedDeviceId of [a.wireDeviceId, b.wireDeviceId]) {
      await assert.rejects(
        openEnvelope(r.body.envelope, { recipientKey: b.recipientKey, expectedDeviceId }),
        (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
      );
    }
  });

  it('a new bootstrap on the same device ends its previous session (one live session per device)', async () => {
    const d = await enrolledDesktop(ctx);
    const first = await bootstrapFor(d);
    const second = await bootstrapFor(d);
    const old = await ctx.db.session.findUniqueOrThrow({
      where: { id: fromWireId('s', first.reply.body.session_id)! },
    });
    assert.equal(old.endReason, 'logout');
    assert.notEqual(first.reply.body.session_id, second.reply.body.session_id);
    const cert = await ctx.db.issuedCertificate.findUniqueOrThrow({
      where: { serial: old.clientCertSerial! },
    });
    assert.ok(cert.revokedAt, 'the superseded session certificate is revoked');
  });

  it('never logs or stores the client key, the tls-crypt key or the SPA keys', async () => {
    const before = srv.logs().length;
    const d = await enrolledDesktop(ctx);
    const { payload, t } = await bootstrapFor(d);
    await fetchBootstrap(srv, await loginTokens(ctx, d, { sourceIp: '192.0.2.1' })); // a refused one too
    const logs = srv.logs().slice(before);
    assert.ok(logs.length > 0, 'the server logged the requests');
    const audit = readFileSync(join(srv.dataDir, 'audit', 'audit.ndjson'), 'utf8');
    const secrets = secretFragments(payload);
    for (const token of [t.accessToken, t.grant]) assert.ok(!logs.includes(token) && !audit.includes(token));
    for (const s of secrets) {
      assert.ok(!logs.includes(s), `log leaks ${s.slice(0, 6)}…`);
      assert.ok(!audit.includes(s), `audit leaks ${s.slice(0, 6)}…`);
    }
    // At rest: the client key and the SPA keys appear nowhere in the data directory (database included);
    // the tls-crypt key only in its own 0600 file under the gateway's private directory.
    const clientKey = Buffer.from(pemBody(payload.ovpn.key_inline), 'base64');
    const spa = [Buffer.from(payload.spa.enc_key, 'base64'), Buffer.from(payload.spa.hmac_key, 'base64')];
    for (const file of walk(srv.dataDir)) {
      const bytes = readFileSync(file);
      for (const needle of [clientKey, ...spa, ...secrets.map((s) => Buffer.from(s))]) {
        if (file.endsWith('tls-crypt.key') && payload.ovpn.tls_crypt_key_inline.includes(needle.toString()))
          continue;
        assert.equal(bytes.indexOf(needle), -1, `${file} holds a secret`);
      }
    }
    const row = await ctx.db.deviceSpaKey.findUniqueOrThrow({ where: { deviceId: d.device.id } });
    assert.ok(!row.sealed.includes(payload.spa.enc_key));
    assert.equal(toWireId('d', row.deviceId), payload.spa.username);
  });
});

function secretFragments(p: BootstrapPayload): string[] {
  const keyB64 = pemBody(p.ovpn.key_inline);
  const tlsCrypt = p.ovpn.tls_crypt_key_inline.split('\n').filter((l) => /^[0-9a-f]{32}$/.test(l));
  return [
    keyB64,
    keyB64.slice(40, 80),
    p.spa.enc_key,
    p.spa.enc_key.slice(0, 24),
    p.spa.hmac_key,
    p.spa.hmac_key.slice(20, 60),
    Buffer.from(p.spa.enc_key, 'base64').toString('hex'),
    Buffer.from(p.spa.hmac_key, 'base64').toString('base64url'),
    ...tlsCrypt,
  ];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
