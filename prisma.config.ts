// Prisma CLI configuration (the server itself never reads this file). The JS engines with a driver
// adapter are what let Prisma 6.19 run offline: no Rust engine binaries are ever downloaded.
// DATABASE_URL picks the provider: postgres(ql):// → the derived PostgreSQL schema and migrations,
// anything else → SQLite. See prisma/README.md for which commands work this way.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';
import { PATHS } from './prisma/schema-source.mjs';

const url = process.env.DATABASE_URL;
const provider = url && /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';
// The schema's `url = env("DATABASE_URL")` must resolve before the CLI reads the schema at all, even
// for commands that never connect (validate, format, generate); the adapter below still demands a
// real URL for commands that do.
process.env.DATABASE_URL ??= 'file:./placeholder.db';

/**
 * pg's Pool lets a connectionString override every other field, and PrismaPg makes its shadow
 * database by adding `database` to the config it was given: with a connectionString the "shadow"
 * would silently be the real database. Discrete fields keep them apart.
 */
function pgConfig(raw: string) {
  const u = new URL(raw);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    // The CLI never ends the pool; without this every command waits out the 10 s idle timeout.
    allowExitOnIdle: true,
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: PATHS.schema[provider],
  migrations: { path: PATHS.migrations[provider] },
  adapter: async () => {
    if (!url) throw new Error('set DATABASE_URL (file:… or postgresql://…) for commands that use a database');
    return provider === 'postgresql' ? new PrismaPg(pgConfig(url)) : new PrismaBetterSQLite3({ url });
  },
});
