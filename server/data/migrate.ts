// Applies the committed migrations (prisma/migrations/<provider>) at server start. Prisma's own
// `migrate deploy` is not used at run time: the CLI is a dev dependency, costs ~1 s per call, and
// through the JS engine it fails on PostgreSQL ("Column type 'name' could not be deserialized",
// prisma/orm#27403). This runner keeps Prisma's bookkeeping table `_prisma_migrations` (same
// columns, checksum = SHA-256 hex of migration.sql) so `prisma migrate status` agrees with it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../core/package-root.js';
import type { Provider } from './client.js';

export interface Migration {
  /** Directory name, e.g. 20260101000000_init; migrations apply in name order. */
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** A `_prisma_migrations` row as the runner needs it. */
export interface AppliedRow {
  readonly name: string;
  readonly checksum: string;
  readonly finished: boolean;
  readonly rolledBack: boolean;
}

/** What a provider must offer the runner (see migrate-drivers.ts). */
export interface MigrationDriver {
  readonly provider: Provider;
  /** Runs fn while no other runner can migrate the same database. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  ensureTable(): Promise<void>;
  appliedRows(): Promise<AppliedRow[]>;
  /** Runs the SQL and records it in one transaction; false if another runner applied it first. */
  apply(migration: Migration): Promise<boolean>;
  close(): Promise<void>;
}

export type MigrationErrorCode =
  | 'checksum_mismatch'
  | 'failed_earlier'
  | 'unknown_migration'
  | 'apply_failed'
  | 'no_migrations';

const HINTS: Record<MigrationErrorCode, string> = {
  checksum_mismatch:
    'A released migration must never change: restore its original migration.sql and add a new migration instead.',
  failed_earlier:
    'Inspect the database, then mark it with `prisma migrate resolve --rolled-back <name>` (or --applied) and restart.',
  unknown_migration:
    'The database was migrated by a newer ViWorkS version: run that version, or restore a backup taken before the upgrade.',
  apply_failed: 'Nothing of this migration was kept (it ran in a transaction); fix the cause and restart.',
  no_migrations: 'The installation is incomplete: prisma/migrations must ship with the server.',
};

/** Why the database was not (fully) migrated; the server must not start on it. */
export class MigrationError extends Error {
  readonly code: MigrationErrorCode;
  readonly migration: string | undefined;
  readonly hint: string;

  constructor(code: MigrationErrorCode, message: string, opts: { migration?: string; cause?: unknown } = {}) {
    super(`${message} — ${HINTS[code]}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MigrationError';
    this.code = code;
    this.migration = opts.migration;
    this.hint = HINTS[code];
  }
}

export function migrationsDir(provider: Provider): string {
  return join(packageRoot(), 'prisma', 'migrations', provider);
}

/** Every `<dir>/<name>/migration.sql`, in apply order. */
export function loadMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory() && existsSync(join(dir, name, 'migration.sql')))
    .sort()
    .map((name) => {
      // The checksum is over the exact bytes, as Prisma computes it.
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    });
}

export interface MigrationReport {
  readonly provider: Provider;
  /** Names applied by this run (empty when the database was already up to date). */
  readonly applied: readonly string[];
  readonly total: number;
}

/** Refuses a database whose history does not match this release, then applies what is pending. */
export async function runMigrations(
  driver: MigrationDriver,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  if (migrations.length === 0) throw new MigrationError('no_migrations', 'no migrations found');
  return driver.exclusive(async () => {
    await driver.ensureTable();
    const local = new Map(migrations.map((m) => [m.name, m]));
    // A rolled-back row is history only: that migration counts as not applied (Prisma's rule).
    const rows = (await driver.appliedRows()).filter((r) => !r.rolledBack);
    for (const row of rows) {
      const m = local.get(row.name);
      if (!row.finished)
        throw new MigrationError('failed_earlier', `migration ${row.name} started but never finished`, {
          migration: row.name,
        });
      if (!m)
        throw new MigrationError(
          'unknown_migration',
          `the database has migration ${row.name}, unknown to this release`,
          {
            migration: row.name,
          },
        );
      if (m.checksum !== row.checksum)
        throw new MigrationError(
          'checksum_mismatch',
          `migration ${row.name} was changed after it was applied`,
          {
            migration: row.name,
          },
        );
    }
    const done = new Set(rows.map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      try {
        if (await driver.apply(m)) applied.push(m.name);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new MigrationError('apply_failed', `migration ${m.name} failed: ${why}`, {
          migration: m.name,
          cause: err,
        });
      }
    }
    return { provider: driver.provider, applied, total: migrations.length };
  });
}
