// The same body runs on SQLite and on a real PostgreSQL 15 server started for this file.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { databaseTargets } from '../../scripts/testkit/postgres.js';
import { type Db, Prisma } from './client.js';
import { type Database, openDatabase, redactUrl, resolveTarget } from './database.js';
import { firstAdminStore, kdfParamsOf } from './first-admin-store.js';

const hex = (n = 32) => randomBytes(n).toString('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Prisma's error code for a query error (P2002 unique, P2003 foreign key), or undefined. */
async function prismaCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Prisma.PrismaClientKnownRequestError, `unexpected ${String(err)}`);
    return err.code;
  }
  assert.fail('expected the query to be refused');
}

/**
 * The trigger's refusal. PostgreSQL's message carries it; the SQLite adapter files a trigger abort
 * under P2003 "Foreign key constraint violated" and keeps the trigger's text only in `meta`.
 */
const appendOnly = (err: unknown) =>
  err instanceof Error &&
  /append-only/.test(`${err.message} ${JSON.stringify((err as { meta?: unknown }).meta ?? {})}`);

async function seedUser(db: Db, username = `user-${hex(4)}`) {
  return db.user.create({
    data: { username, role: 'User', passwordHash: hex(), kdfParams: 'scrypt$N=32768,r=8,p=1' },
  });
}

async function seedDevice(db: Db, userId: string, fingerprint = hex()) {
  return db.desktopDevice.create({
    data: {
      userId,
      hpkePublicKey: randomBytes(32).toString('base64url'),
      signingPublicKey: randomBytes(32).toString('base64url'),
      fingerprint,
      platform: 'linux-x64',
      clientVersion: '0.1.0',
      keyProtection: 'software',
    },
  });
}

for (const target of databaseTargets()) {
  describe(`data layer on ${target.provider}`, { skip: target.skip }, () => {
    let database: Database;
    let db: Db;
    before(async () => {
      await target.start();
      database = await openDatabase(await target.fresh());
      db = database.db;
    });
    after(async () => {
      await database?.close();
      await target.stop();
    });

    test('migrations apply from empty, then a second open finds nothing pending', async () => {
      const opts = await target.fresh();
      const first = await openDatabase(opts);
      assert.equal(first.provider, target.provider);
      assert.deepEqual(first.migrations.applied.length, first.migrations.total);
      assert.ok(first.migrations.total >= 1);
      await first.db.user.count();
      await first.close();
      const second = await openDatabase(opts);
      assert.deepEqual(second.migrations.applied, []);
      assert.equal(await second.db.user.count(), 0);
      await second.close();
    });

    test('users, devices, tokens, OTP challenges with their relations', async () => {
      const admin = await seedUser(db);
      assert.match(admin.id, /^[0-9a-f-]{36}$/);
      assert.notEqual(admin.auditId, admin.id);
      assert.equal(admin.mustChangePassword, true);
      const token = await db.enrollmentToken.create({
        data: { tokenHash: sha256(hex()), expiresAt: new Date(Date.now() + 3600_000), createdById: admin.id },
      });
      const user = await seedUser(db);
      const device = await seedDevice(db, user.id);
      assert.equal(device.status, 'pending_approval');
      await db.desktopDevice.update({
        where: { id: device.id },
        data: { status: 'active', approvedAt: new Date(), enrollmentTokenId: token.id },
      });
      await db.enrollmentToken.update({ where: { id: token.id }, data: { uses: { increment: 1 } } });
      await db.otpChallenge.create({
        data: {
          loginTxnId: hex(16),
          userId: user.id,
          deviceId: device.id,
          sourceIp: '192.0.2.10',
          codeHmac: hex(),
          expiresAt: new Date(Date.now() + 120_000),
        },
      });
      await db.mobileDevice.create({
        data: {
          userId: user.id,
          platform: 'android',
          publicKey: randomBytes(65).toString('base64url'),
          fingerprint: hex(),
          attestationType: 'play_integrity',
          attestationVerdict: 'pass',
        },
      });
      const loaded = await db.user.findUniqueOrThrow({
        where: { username: user.username },
        include: {
          desktopDevices: { include: { enrollmentToken: true } },
          otpChallenges: true,
          mobileDevices: true,
        },
      });
      assert.equal(loaded.desktopDevices[0]?.status, 'active');
      assert.equal(loaded.desktopDevices[0]?.enrollmentToken?.uses, 1);
      assert.equal(loaded.otpChallenges[0]?.attempts, 0);
      assert.equal(loaded.mobileDevices[0]?.attestationVerdict, 'pass');
      const byFingerprint = await db.desktopDevice.findUnique({ where: { fingerprint: device.fingerprint } });
      assert.equal(byFingerprint?.userId, user.id);
    });

    test('sessions, certificates and revocations', async () => {
      const user = await seedUser(db);
      const device = await seedDevice(db, user.id);
      const gateway = await db.gateway.create({
        data: { name: `gw-${hex(3)}`, fqdn: 'gw1.example.test', sshHostKeyFingerprint: `SHA256:${hex(16)}` },
      });
      const session = await db.session.create({
        data: {
          userId: user.id,
          deviceId: device.id,
          gatewayId: gateway.id,
          expiresAt: new Date(Date.now() + 8 * 3600_000),
        },
      });
      const cert = await db.issuedCertificate.create({
        data: {
          serial: hex(16),
          profile: 'device_desktop',
          issuer: 'CN=ViWorkS Device CA',
          subject: `CN=${device.id}`,
          notBefore: new Date(),
          notAfter: new Date(Date.now() + 86400_000),
          sessionId: session.id,
        },
      });
      await db.session.update({
        where: { id: session.id },
        data: { clientCertSerial: cert.serial, lastHeartbeatAt: new Date() },
      });
      const revokedAt = new Date();
      await db.$transaction([
        db.issuedCertificate.update({
          where: { id: cert.id },
          data: { revokedAt, revocationReason: 'cessationOfOperation' },
        }),
        db.revocation.create({ data: { certificateId: cert.id, reason: 'cessationOfOperation', revokedAt } }),
        db.session.update({ where: { id: session.id }, data: { endedAt: revokedAt, endReason: 'logout' } }),
      ]);
      const open = await db.session.findMany({ where: { userId: user.id, endedAt: null } });
      assert.equal(open.length, 0);
      const ended = await db.session.findFirstOrThrow({
        where: { clientCertSerial: cert.serial },
        include: { certificates: { include: { revocation: true } }, gateway: true },
      });
      assert.equal(ended.endReason, 'logout');
      assert.equal(ended.gateway.name, gateway.name);
      assert.equal(ended.certificates[0]?.revocation?.reason, 'cessationOfOperation');
      assert.equal(ended.certificates[0]?.revokedAt?.getTime(), revokedAt.getTime());
      const policy = await db.policy.create({
        data: {
          name: `p-${hex(3)}`,
          currentVersion: 1,
          versions: { create: { version: 1, document: '{}', authorId: user.id } },
        },
        include: { versions: true },
      });
      assert.equal(policy.versions[0]?.version, 1);
      // A version is written once: a second version 1 of the same policy is refused.
      await assert.rejects(
        db.policyVersion.create({
          data: { policyId: policy.id, version: 1, document: '{}', authorId: user.id },
        }),
      );
    });

    test('audit events keep their order and cannot be changed or deleted', async () => {
      let prev = '0'.repeat(64);
      for (let seq = 1n; seq <= 3n; seq++) {
        const event = JSON.stringify({ action: 'test', seq: Number(seq) });
        const hash = sha256(prev + event);
        await db.auditEvent.create({ data: { seq, at: new Date(), event, prevHash: prev, hash } });
        prev = hash;
      }
      const events = await db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
      assert.deepEqual(
        events.map((e) => e.seq),
        [1n, 2n, 3n],
      );
      assert.equal(events[2]?.prevHash, events[1]?.hash);
      // A second writer reusing a sequence number would fork the chain: refused.
      assert.equal(
        await prismaCode(
          db.auditEvent.create({
            data: { seq: 2n, at: new Date(), event: '{}', prevHash: prev, hash: hex() },
          }),
        ),
        'P2002',
      );
      await assert.rejects(
        db.auditEvent.update({ where: { seq: 2n }, data: { event: '{"forged":true}' } }),
        appendOnly,
      );
      await assert.rejects(db.auditEvent.delete({ where: { seq: 1n } }), appendOnly);
      await assert.rejects(db.auditEvent.deleteMany({}), appendOnly);
      assert.equal(await db.auditEvent.count(), 3);
    });

    test('unique and foreign-key constraints are enforced by the database', async () => {
      const user = await seedUser(db);
      assert.equal(await prismaCode(seedUser(db, user.username)), 'P2002');
      const device = await seedDevice(db, user.id);
      const other = await seedUser(db);
      assert.equal(await prismaCode(seedDevice(db, other.id, device.fingerprint)), 'P2002');
      assert.equal(await prismaCode(seedDevice(db, 'no-such-user')), 'P2003');
      // Users with devices cannot be deleted by accident (ON DELETE RESTRICT).
      assert.ok(
        ['P2003', 'P2014'].includes((await prismaCode(db.user.delete({ where: { id: user.id } }))) ?? ''),
      );
    });

    test('the first-admin store counts users and creates the administrator', async () => {
      const fresh = await openDatabase(await target.fresh());
      try {
        const store = firstAdminStore(fresh.db);
        assert.equal(await store.countUsers(), 0);
        const passwordHash = 'scrypt$N=32768,r=8,p=1$c2FsdA==$a2V5';
        await store.createAdmin({ username: 'admin', passwordHash, mustChangePassword: true });
        assert.equal(await store.countUsers(), 1);
        const admin = await fresh.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
        assert.deepEqual(
          [admin.role, admin.kdfParams, admin.mustChangePassword],
          ['Admin', 'scrypt$N=32768,r=8,p=1', true],
        );
        assert.throws(() => kdfParamsOf('plaintext'), /kdf\$params/);
      } finally {
        await fresh.close();
      }
    });

    test('enum columns refuse values outside the documented set', async () => {
      const data = { username: `u-${hex(4)}`, role: 'Root', passwordHash: 'x', kdfParams: 'y' };
      await assert.rejects(db.user.create({ data: data as unknown as Prisma.UserCreateInput }), /role|Role/);
    });

    if (target.provider === 'sqlite') {
      test('the SQLite file is private (0600) and lives in the data dir', async () => {
        const opts = await target.fresh();
        const opened = await openDatabase(opts);
        try {
          assert.equal(opened.location, join(opts.dataDir, 'viworks.db'));
          assert.equal(statSync(opened.location).mode & 0o777, 0o600);
          await seedUser(opened.db);
          for (const f of ['-wal', '-shm']) assert.equal(statSync(opened.location + f).mode & 0o077, 0);
        } finally {
          await opened.close();
        }
      });
    } else {
      test('the location it reports hides the password', async () => {
        const opts = await target.fresh();
        const opened = await openDatabase(opts);
        await opened.close();
        const password = new URL(opts.url ?? '').password;
        assert.ok(password.length > 0);
        assert.ok(!opened.location.includes(password));
        assert.match(opened.location, /:\*\*\*@/);
      });
    }
  });
}

describe('database URLs', () => {
  test('no URL or file: means SQLite, postgres(ql):// means PostgreSQL, anything else is refused', () => {
    assert.deepEqual(resolveTarget(undefined, '/var/lib/x'), {
      provider: 'sqlite',
      file: '/var/lib/x/viworks.db',
    });
    assert.deepEqual(resolveTarget('file:/srv/v.db?mode=rwc', '/d'), {
      provider: 'sqlite',
      file: '/srv/v.db',
    });
    assert.equal(resolveTarget('postgres://u:p@h/db', '/d').provider, 'postgresql');
    assert.equal(resolveTarget('postgresql://h/db', '/d').provider, 'postgresql');
    assert.throws(() => resolveTarget('mysql://h/db', '/d'), { code: 'VIW_E_CONFIG' });
    assert.throws(() => resolveTarget('file::memory:', '/d'), { code: 'VIW_E_CONFIG' });
  });

  test('redactUrl never shows a password', () => {
    const url = 'postgresql://app:s3cr%40t@db.internal:5432/viworks?sslmode=require';
    const shown = redactUrl(url);
    assert.equal(shown, 'postgresql://app:***@db.internal:5432/viworks?sslmode=require');
    assert.ok(!shown.includes('s3cr'));
    assert.equal(redactUrl('postgresql://db.internal/viworks'), 'postgresql://db.internal/viworks');
    assert.equal(redactUrl('not a url with secret'), '(unparsable database URL)');
    const inQuery = redactUrl('postgresql://db.internal/viworks?user=app&password=hunter2&sslkey=/k.pem');
    assert.equal(inQuery, 'postgresql://db.internal/viworks?user=app&password=***&sslkey=***');
  });
});
