// One typed database handle for the whole server, whichever provider is behind it.
//
// Prisma generates a client per provider (its query compiler is provider-specific), so there are
// two PrismaClient classes made from the same models. The rest of the server sees only `Db`, the
// SQLite client's type: it is the smaller API (no `mode: 'insensitive'`, no `skipDuplicates`, only
// Serializable transactions), so code written against it runs on both. The PostgreSQL client is
// returned as a `Db` only after the compile-time check below proves it offers every model delegate
// with compatible types; a schema change that broke this would stop `tsc`, not production.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  PrismaClient as PostgresClient,
  type Prisma as PostgresTypes,
} from './generated/postgresql/client.js';
import { PrismaClient as SqliteClient, type Prisma as SqliteTypes } from './generated/sqlite/client.js';

export type {
  AuditEvent,
  DesktopDevice,
  EnrollmentToken,
  Gateway,
  IssuedCertificate,
  MobileDevice,
  OtpChallenge,
  Policy,
  Revocation,
  Session,
  User,
} from './generated/sqlite/client.js';
export { Prisma } from './generated/sqlite/client.js';
// Model types, enums (plain string constants, identical for both providers) and the Prisma namespace
// (its error classes come from the shared runtime, so `instanceof` holds for either client).
export * from './generated/sqlite/enums.js';

export type Provider = 'sqlite' | 'postgresql';

/** The database handle services receive. Use model delegates; raw SQL is provider-specific. */
export type Db = SqliteClient;

// The compile-time proof. TypeScript cannot compare the two clients' generic method signatures
// directly, so it compares what they are generated from: the same delegates (db.user, …), the same
// operations on each, and identical payloads (every scalar with its type and nullability, every
// relation, recursively). Anything provider-specific then lives only in argument types, where the
// PostgreSQL client accepts a superset.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type Shape<
  TM extends {
    meta: { modelProps: string };
    model: Record<string, { payload: unknown; operations: object }>;
  },
> = {
  delegates: TM['meta']['modelProps'];
  models: {
    [M in keyof TM['model']]: {
      payload: TM['model'][M]['payload'];
      operations: keyof TM['model'][M]['operations'];
    };
  };
};
type _SameModels = Check<Same<Shape<SqliteTypes.TypeMap>, Shape<PostgresTypes.TypeMap>>>;

export function createSqliteClient(file: string): Db {
  // iso8601 keeps DateTime columns readable with the sqlite3 CLI (the adapter's default as well).
  return new SqliteClient({
    adapter: new PrismaBetterSQLite3({ url: `file:${file}` }, { timestampFormat: 'iso8601' }),
  });
}

export function createPostgresClient(url: string, opts: { max?: number } = {}): Db {
  const client = new PostgresClient({
    adapter: new PrismaPg({ connectionString: url, max: opts.max ?? 10 }),
  });
  return client as unknown as Db;
}
