// The migration runner on SQLite and on a real PostgreSQL 15 server: history checks, atomicity,
// concurrent starts, and agreement with `prisma migrate status`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { packageRoot } from '../../core/package-root.js';
import { databaseTargets } from '../../scripts/testkit/postgres.js';
import { openDatabase, resolveTarget } from './database.js';
import { loadMigrations, MigrationError, migrationsDir } from './migrate.js';

/** Runs one SQL statement on the database behind `url`/`dataDir`, outside Prisma. */
async function sql(opts: { url: string | undefined; dataDir: string }, text: string, params: unknown[] = []) {
  const target = resolveTarget(opts.url, opts.dataDir);
  if (target.provider === 'sqlite') {
    const db = new Sqlite(target.file);
    try {
      const stmt = db.prepare(text.replace(/\$\d+/g, '?'));
      if (stmt.reader) return stmt.all(...params);
      stmt.run(...params);
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

const refused = (code: MigrationError['code'], migration?: string) => (err: unknown) =>
  err instanceof MigrationError &&
  err.code === code &&
  (migration === undefined || err.migration === migration);

for (const target of databaseTargets()) {
  describe(`migration runner on ${target.provider}`, { skip: target.skip }, () => {
    const shipped = loadMigrations(migrationsDir(target.provider));
    const init = shipped[0]?.name ?? 'missing';
    let scratch: string;
    before(async () => {
      await target.start();
      scratch = mkdtempSync(join(tmpdir(), 'viworks-migrations-'));
    });
    after(async () => {
      rmSync(scratch, { recursive: true, force: true });
      await target.stop();
    });

    /** A copy of the shipped migrations plus extra ones, for one test. */
    function migrationsWith(extra: Record<string, string>): string {
      const dir = mkdtempSync(join(scratch, 'm-'));
      cpSync(migrationsDir(target.provider), dir, { recursive: true });
      for (const [name, text] of Object.entries(extra)) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'migration.sql'), text);
      }
      return dir;
    }

    test('records applied migrations the way Prisma does, so `prisma migrate status` agrees', async () => {
      const opts = await target.fresh();
      await (await openDatabase(opts)).close();
      const rows = await sql(
        opts,
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations',
      );
      assert.equal(rows.length, shipped.length);
      assert.equal((rows[0] as { checksum: string }).checksum, shipped[0]?.checksum);
      const file = resolveTarget(opts.url, opts.dataDir);
      const url = file.provider === 'sqlite' ? `file:${file.file}` : file.url;
      const cli = join(
        dirname(createRequire(import.meta.url).resolve('prisma/package.json')),
        'build/index.js',
      );
      const status = spawnSync(process.execPath, [cli, 'migrate', 'status'], {
        cwd: packageRoot(),
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: '1' },
      });
      assert.match(status.stdout, /Database schema is up to date/, status.stdout + status.stderr);
      assert.equal(status.status, 0);
    });

    test('refuses a migration whose checksum changed since it was applied', async () => {
      const opts = await target.fresh();
      await (await openDatabase(opts)).close();
      const dir = migrationsWith({});
      writeFileSync(join(dir, init, 'migration.sql'), `-- edited after release\n${shipped[0]?.sql}`);
      await assert.rejects(openDatabase({ ...opts, migrationsDir: dir }), refused('checksum_mismatch', init));
      // The same refusal when the recorded checksum is what changed.
      await sql(opts, `UPDATE _prisma_migrations SET checksum = $1`, ['0'.repeat(64)]);
      await assert.rejects(openDatabase(opts), (err: unknown) => {
        assert.ok(refused('checksum_mismatch', init)(err));
        assert.match((err as Error).message, /changed after it was applied.*add a new migration/);
        return true;
      });
    });

    test('refuses a database migrated by a newer release, or with a migration that never finished', async () => {
      const opts = await target.fresh();
      await (await openDatabase(opts)).close();
      const insert = `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
        VALUES ($1, $2, $3, $4, $5, 1)`;
      const now = target.provider === 'sqlite' ? new Date().toISOString() : new Date();
      await sql(opts, insert, [
        'a0000000-0000-4000-8000-000000000001',
        'f'.repeat(64),
        now,
        '29990101000000_future',
        now,
      ]);
      await assert.rejects(openDatabase(opts), refused('unknown_migration', '29990101000000_future'));
      await sql(opts, `DELETE FROM _prisma_migrations WHERE migration_name = $1`, ['29990101000000_future']);
      await sql(opts, `UPDATE _prisma_migrations SET finished_at = NULL`);
      await assert.rejects(openDatabase(opts), refused('failed_earlier', init));
    });

    test('a failing migration leaves nothing behind, and applies once fixed', async () => {
      const opts = await target.fresh();
      const name = '29990101000000_half';
      const bad = migrationsWith({
        [name]: 'CREATE TABLE half_done (x INTEGER);\nSELECT no_such_column FROM users;\n',
      });
      await assert.rejects(openDatabase({ ...opts, migrationsDir: bad }), refused('apply_failed', name));
      // The shipped ones committed in their own transactions; the failed one rolled back completely.
      const names = (await sql(opts, 'SELECT migration_name FROM _prisma_migrations')).map(
        (r) => (r as { migration_name: string }).migration_name,
      );
      assert.deepEqual(
        names.sort(),
        shipped.map((m) => m.name),
      );
      await assert.rejects(sql(opts, 'SELECT * FROM half_done'), /half_done/);
      writeFileSync(join(bad, name, 'migration.sql'), 'CREATE TABLE half_done (x INTEGER);\n');
      const fixed = await openDatabase({ ...opts, migrationsDir: bad });
      assert.deepEqual(fixed.migrations.applied, [name]);
      await fixed.close();
      assert.deepEqual(await sql(opts, 'SELECT * FROM half_done'), []);
    });

    test('servers starting together migrate once', async () => {
      const opts = await target.fresh();
      const opened = await Promise.all([openDatabase(opts), openDatabase(opts), openDatabase(opts)]);
      const applied = opened.map((d) => d.migrations.applied.length).sort();
      assert.deepEqual(applied, [0, 0, shipped.length]);
      await Promise.all(opened.map((d) => d.close()));
    });
  });
}

describe('migration files', () => {
  test('are found from the package root, from the sources and from dist/', () => {
    const root = packageRoot();
    assert.equal(packageRoot(join(root, 'dist', 'server', 'data')), root);
    assert.equal(migrationsDir('postgresql'), join(root, 'prisma', 'migrations', 'postgresql'));
    assert.throws(() => packageRoot(tmpdir()), /no viworks package.json/);
  });

  test('load in name order with SHA-256 checksums of the exact bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viworks-load-'));
    try {
      for (const [name, body] of [
        ['20250102000000_b', 'B;\r\n'],
        ['20250101000000_a', 'A;\n'],
      ] as const) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'migration.sql'), body);
      }
      mkdirSync(join(dir, 'not_a_migration'));
      const loaded = loadMigrations(dir);
      assert.deepEqual(
        loaded.map((m) => m.name),
        ['20250101000000_a', '20250102000000_b'],
      );
      // Computed independently with sha256sum; CRLF counts (prisma/.gitattributes pins LF).
      assert.equal(loaded[0]?.checksum, '8b936c8da13cd9b1f6cc8fe3d95e5807cfed868795ff28b4493d85494fb89004');
      assert.equal(loaded[1]?.checksum, '01c6327deaec3274877636b45964dc3703d188184d67dba4f62457aaa5c67830');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
