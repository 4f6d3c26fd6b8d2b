// Opens the server's database: SQLite in the data directory by default, PostgreSQL when the
// configured URL says so. Migrates it before handing out the client, so no query ever runs against
// an old schema. Connection strings are secrets: only redactUrl() output may reach a log.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { createPostgresClient, createSqliteClient, type Db, type Provider } from './client.js';
import { loadMigrations, type MigrationReport, migrationsDir, runMigrations } from './migrate.js';
import { postgresMigrationDriver, sqliteMigrationDriver } from './migrate-drivers.js';

export const SQLITE_FILE = 'viworks.db';

export interface OpenDatabaseOptions {
  /** null/undefined or `file:PATH` → SQLite; `postgres://` or `postgresql://` → PostgreSQL. */
  readonly url?: string | undefined;
  /** Where the default SQLite file lives (`<dataDir>/viworks.db`). */
  readonly dataDir: string;
  /** Tests only: migrations from another directory. */
  readonly migrationsDir?: string;
}

export interface Database {
  readonly db: Db;
  readonly provider: Provider;
  /** Safe to log: the SQLite path or the PostgreSQL URL without its password. */
  readonly location: string;
  readonly migrations: MigrationReport;
  close(): Promise<void>;
}

const configError = (detail: string, cause?: unknown) =>
  new ViworksError('VIW_E_CONFIG', { details: [detail], ...(cause === undefined ? {} : { cause }) });

type Target = { provider: 'sqlite'; file: string } | { provider: 'postgresql'; url: string };

export function resolveTarget(url: string | undefined, dataDir: string): Target {
  if (!url) return { provider: 'sqlite', file: resolve(dataDir, SQLITE_FILE) };
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgresql', url };
  if (url.startsWith('file:')) {
    const file = url.slice('file:'.length).split('?')[0] ?? '';
    // Each connection would get its own empty in-memory database: the migrations would be lost.
    if (file === '' || file.includes(':memory:')) throw configError('databaseUrl file: needs a file path');
    return { provider: 'sqlite', file: resolve(file) };
  }
  throw configError('databaseUrl must start with file:, postgres:// or postgresql://');
}

/**
 * The URL with its password, and any query parameter that may hold one (`?password=`, `sslpassword=`,
 * `sslkey=`…), replaced by ***; unparsable input is hidden entirely.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()])
      if (/pass|secret|key|token/i.test(key)) u.searchParams.set(key, '***');
    return u.toString().replaceAll('%2A%2A%2A', '***');
  } catch {
    return '(unparsable database URL)';
  }
}

/** Creates the file (and the WAL/SHM files SQLite copies its mode to) readable by the owner only. */
function privateSqliteFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const target = resolveTarget(opts.url, opts.dataDir);
  const migrations = loadMigrations(opts.migrationsDir ?? migrationsDir(target.provider));
  if (target.provider === 'sqlite') {
    privateSqliteFile(target.file);
    const driver = sqliteMigrationDriver(target.file);
    const report = await runMigrations(driver, migrations).finally(() => driver.close());
    const db = createSqliteClient(target.file);
    try {
      // better-sqlite3 is built with foreign keys on; relations depend on it, so prove it.
      const [fk] = await db.$queryRawUnsafe<{ foreign_keys: bigint | number }[]>('PRAGMA foreign_keys');
      if (Number(fk?.foreign_keys) !== 1) throw new Error('SQLite foreign keys are off');
    } catch (err) {
      await db.$disconnect();
      throw err;
    }
    return {
      db,
      provider: 'sqlite',
      location: target.file,
      migrations: report,
      close: () => db.$disconnect(),
    };
  }
  const location = redactUrl(target.url);
  const driver = await postgresMigrationDriver(target.url).catch((err: unknown) => {
    // pg's messages name host and user, never the password.
    throw configError(`cannot connect to ${location}: ${(err as Error).message}`, err);
  });
  const report = await runMigrations(driver, migrations).finally(() => driver.close());
  const db = createPostgresClient(target.url);
  return { db, provider: 'postgresql', location, migrations: report, close: () => db.$disconnect() };
}
