// Proves the committed migrations build exactly the schema in prisma/schema.prisma, on both
// providers: a database migrated by the runner and one built straight from the schema (Prisma's
// from-empty diff) must have the same catalog. Prisma cannot check this itself here: with a driver
// adapter `migrate diff --from-url` is refused and `--from-migrations` breaks on SQLite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { packageRoot } from '../../core/package-root.js';
import { PATHS, schemaFor } from '../../prisma/schema-source.mjs';
import { databaseTargets } from '../../scripts/testkit/postgres.js';
import { openDatabase, resolveTarget } from './database.js';

const ROOT = packageRoot();
const CLI = join(dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build/index.js');
type Opts = { url: string | undefined; dataDir: string };

/** Runs the Prisma CLI the way scripts/prisma-generate.mjs does; returns exit status and stdout. */
function prisma(args: string[], databaseUrl: string) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
  });
  return { status: res.status, stdout: res.stdout, output: res.stdout + res.stderr };
}

const byName = <T extends { name: string }>(rows: T[]) => rows.sort((a, b) => a.name.localeCompare(b.name));

/** Tables, columns, indexes and foreign keys; column order is ignored (ALTER TABLE appends). */
function sqliteCatalog(file: string) {
  const db = new Sqlite(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`,
      )
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.sort().map((t) => [
        t,
        {
          columns: byName(
            (db.pragma(`table_xinfo("${t}")`) as { name: string; cid?: number }[]).map(({ cid, ...c }) => c),
          ),
          indexes: byName(
            (db.pragma(`index_list("${t}")`) as { name: string; seq?: number }[]).map(({ seq, ...i }) => ({
              ...i,
              keys: db.pragma(`index_xinfo("${i.name}")`),
            })),
          ),
          foreignKeys: (
            db.pragma(`foreign_key_list("${t}")`) as { id?: number; seq?: number; from: string }[]
          )
            .map(({ id, seq, ...fk }) => fk)
            .sort((a, b) => a.from.localeCompare(b.from)),
        },
      ]),
    );
  } finally {
    db.close();
  }
}

const PG_CATALOG = {
  columns: `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
      character_maximum_length, numeric_precision, datetime_precision
    FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'
    ORDER BY table_name, column_name`,
  indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY indexname`,
  constraints: `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
    ORDER BY conname`,
  // Label order is ignored: Prisma appends new values wherever the schema lists them.
  enums: `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumlabel) AS labels FROM pg_type t
    JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = current_schema()::regnamespace
    GROUP BY t.typname ORDER BY t.typname`,
};

async function postgresCatalog(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [key, query] of Object.entries(PG_CATALOG)) out[key] = (await client.query(query)).rows;
    return out;
  } finally {
    await client.end();
  }
}

const catalog = (opts: Opts) => {
  const t = resolveTarget(opts.url, opts.dataDir);
  return t.provider === 'sqlite' ? sqliteCatalog(t.file) : postgresCatalog(t.url);
};

/** Prisma's from-empty script for the current schema, once per provider (each CLI call costs ~1 s). */
const scripts = new Map<string, string>();
function schemaScript(provider: 'sqlite' | 'postgresql', url: string): string {
  let script = scripts.get(provider);
  if (script === undefined) {
    const res = prisma(
      ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', PATHS.schema[provider], '--script'],
      url,
    );
    assert.equal(res.status, 0, res.output);
    script = res.stdout;
    scripts.set(provider, script);
  }
  return script;
}

/** Builds a database straight from the current schema, bypassing the migrations. */
async function buildFromSchema(opts: Opts, extraSql = '') {
  const t = resolveTarget(opts.url, opts.dataDir);
  if (t.provider === 'sqlite') {
    const db = new Sqlite(t.file);
    db.exec(schemaScript('sqlite', 'file::memory:') + extraSql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await client.query(schemaScript('postgresql', t.url) + extraSql).finally(() => client.end());
}

for (const target of databaseTargets()) {
  describe(`schema drift on ${target.provider}`, { skip: target.skip }, () => {
    before(() => target.start());
    after(() => target.stop());

    test('the committed migrations produce exactly the schema', async () => {
      const migrated = await target.fresh();
      await (await openDatabase(migrated)).close();
      const fromSchema = await target.fresh();
      await buildFromSchema(fromSchema);
      const expected = await catalog(fromSchema);
      assert.ok(Object.keys(expected).length > 0);
      assert.deepEqual(await catalog(migrated), expected);
    });

    test('the comparison notices a difference (control)', async () => {
      const migrated = await target.fresh();
      await (await openDatabase(migrated)).close();
      const fromSchema = await target.fresh();
      await buildFromSchema(fromSchema, '\nCREATE INDEX "drift_probe" ON "users"("locked");\n');
      assert.notDeepEqual(await catalog(migrated), await catalog(fromSchema));
    });

    test('schema.prisma has no change that the last migration does not capture', async () => {
      const url = target.provider === 'sqlite' ? 'file::memory:' : (await target.fresh()).url;
      const snapshotFor = join(ROOT, 'server/data/generated', `snapshot-${target.provider}.prisma`);
      const snapshot = schemaFor(target.provider, readFileSync(join(ROOT, PATHS.snapshot), 'utf8'));
      // Written beside the generated clients (git-ignored) so relative outputs resolve as usual.
      writeFileSync(snapshotFor, snapshot);
      const diff = prisma(
        [
          'migrate',
          'diff',
          '--from-schema-datamodel',
          snapshotFor,
          '--to-schema-datamodel',
          PATHS.schema[target.provider],
          '--exit-code',
        ],
        url ?? '',
      );
      assert.equal(
        diff.status,
        0,
        `run: node scripts/prisma-generate.mjs --new-migration <name>\n${diff.output}`,
      );
    });
  });
}

describe('the PostgreSQL schema is derived from the one source', () => {
  const source = readFileSync(join(ROOT, PATHS.source), 'utf8');

  test('the generated file is current (npm run db:generate)', () => {
    assert.equal(readFileSync(join(ROOT, PATHS.schema.postgresql), 'utf8'), schemaFor('postgresql', source));
  });

  test('only the provider and the client output differ', () => {
    const derived = schemaFor('postgresql', source).split('\n').slice(1);
    const changed = source.split('\n').filter((line, i) => line !== derived[i]);
    assert.equal(derived.length, source.split('\n').length);
    assert.deepEqual(
      changed.map((l) => l.trim()),
      ['output              = "../server/data/generated/sqlite"', 'provider = "sqlite"'],
    );
    assert.throws(() => schemaFor('postgresql', source.replace('provider = "sqlite"', 'provider = "mysql"')));
  });
});
