// The two MigrationDrivers. They talk to the database with the plain drivers (better-sqlite3, pg),
// not through Prisma: migration scripts hold many statements, which Prisma's raw queries refuse.
import { randomUUID } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { AppliedRow, Migration, MigrationDriver } from './migrate.js';

// Prisma's own DDL for its bookkeeping table, byte for byte, so its CLI reads ours.
const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

const SELECT_ROWS = `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished,
  rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations ORDER BY started_at, migration_name`;

interface RawRow {
  name: string;
  checksum: string;
  finished: unknown;
  rolled_back: unknown;
}
const toApplied = (r: RawRow): AppliedRow => ({
  name: r.name,
  checksum: r.checksum,
  finished: Boolean(r.finished),
  rolledBack: Boolean(r.rolled_back),
});

/** The text form Prisma's SQLite engine writes (RFC 3339 with +00:00). */
const sqliteTime = (d: Date) => d.toISOString().replace('Z', '+00:00');

export function sqliteMigrationDriver(file: string): MigrationDriver {
  const db = new Sqlite(file, { timeout: 10_000 });
  // WAL is a property of the file, so setting it here holds for the server's connection too.
  db.pragma('journal_mode = WAL');
  // SQLite's procedure for schema changes (lang_altertable.html): foreign keys off while tables are
  // rebuilt, else dropping a parent table fires its ON DELETE actions; checked before commit instead.
  // (Prisma's own PRAGMA foreign_keys lines are no-ops inside our transaction.)
  db.pragma('foreign_keys = OFF');
  return {
    provider: 'sqlite',
    exclusive: (fn) => fn(), // each apply() takes SQLite's write lock and re-checks
    async ensureTable() {
      db.exec(SQLITE_TABLE);
    },
    async appliedRows() {
      return (db.prepare(SELECT_ROWS).all() as RawRow[]).map(toApplied);
    },
    async apply(m: Migration) {
      const started = new Date();
      db.exec('BEGIN IMMEDIATE');
      try {
        const done = db
          .prepare(
            'SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL AND rolled_back_at IS NULL',
          )
          .get(m.name);
        if (done) {
          db.exec('ROLLBACK');
          return false;
        }
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(`${broken.length} rows violate foreign keys after the migration`);
        db.prepare(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at,
             started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        ).run(randomUUID(), m.checksum, sqliteTime(new Date()), m.name, sqliteTime(started));
        db.exec('COMMIT');
        return true;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
}

/** Prisma Migrate's advisory lock key: our runner and `prisma migrate deploy` exclude each other. */
const PRISMA_LOCK_KEY = 72707369;

export async function postgresMigrationDriver(url: string): Promise<MigrationDriver> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    provider: 'postgresql',
    async exclusive(fn) {
      // Scale-out: several servers may start at once; one migrates, the others wait and then find
      // nothing pending.
      await client.query('SELECT pg_advisory_lock($1)', [PRISMA_LOCK_KEY]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_LOCK_KEY]);
      }
    },
    async ensureTable() {
      await client.query(POSTGRES_TABLE);
    },
    async appliedRows() {
      return (await client.query<RawRow>(SELECT_ROWS)).rows.map(toApplied);
    },
    async apply(m: Migration) {
      const started = new Date();
      await client.query('BEGIN');
      try {
        // No parameters → simple query protocol, which runs a multi-statement script.
        await client.query(m.sql);
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at,
             started_at, applied_steps_count) VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
          [randomUUID(), m.checksum, m.name, started],
        );
        await client.query('COMMIT');
        return true;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    },
    async close() {
      await client.end();
    },
  };
}
