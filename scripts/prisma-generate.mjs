#!/usr/bin/env node
// Makes everything the data layer derives from prisma/schema.prisma (see prisma/README.md):
//   node scripts/prisma-generate.mjs                      PostgreSQL schema + both Prisma clients
//   node scripts/prisma-generate.mjs --new-migration NAME  ...and the next migration for both providers
//   --force regenerates even when nothing changed.
// Runs the Prisma CLI offline: prisma.config.ts selects the JS engines, so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATHS, PROVIDERS, schemaFor } from '../prisma/schema-source.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRISMA_CLI = join(
  dirname(createRequire(import.meta.url).resolve('prisma/package.json')),
  'build/index.js',
);
// The CLI must resolve env("DATABASE_URL") to a URL of the schema's provider before it will read the
// schema. `generate` never connects; `migrate diff` connects through the adapter even when it only
// compares two schema files, so diffs get an in-memory SQLite or a throwaway PostgreSQL server.
const PLACEHOLDER_URL = { sqlite: 'file::memory:', postgresql: 'postgresql://placeholder.invalid/viworks' };
const STAMP = join(ROOT, 'server/data/generated/.stamp');

function prisma(provider, args, url = PLACEHOLDER_URL[provider]) {
  const res = spawnSync(process.execPath, [PRISMA_CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      DATABASE_URL: url,
      CHECKPOINT_DISABLE: '1', // no telemetry call (it would only time out here)
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (res.status !== 0) {
    process.stderr.write(res.stdout + res.stderr);
    throw new Error(`prisma ${args[0]} ${args[1] ?? ''} (${provider}) failed with status ${res.status}`);
  }
  return res.stdout;
}

function writeIfChanged(path, text) {
  const abs = join(ROOT, path);
  if (existsSync(abs) && readFileSync(abs, 'utf8') === text) return false;
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return true;
}

function generateClients(source, force) {
  writeIfChanged(PATHS.schema.postgresql, schemaFor('postgresql', source));
  const prismaVersion = JSON.parse(
    readFileSync(join(dirname(PRISMA_CLI), '../package.json'), 'utf8'),
  ).version;
  const schemas = PROVIDERS.map((p) => schemaFor(p, source)).join('\n');
  const stamp = createHash('sha256').update(`${prismaVersion}\n${schemas}`).digest('hex');
  const fresh = PROVIDERS.every((p) => existsSync(join(ROOT, PATHS.client[p], 'client.ts')));
  if (!force && fresh && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp) return;
  for (const p of PROVIDERS) prisma(p, ['generate', '--no-hints', '--schema', PATHS.schema[p]]);
  writeFileSync(STAMP, stamp);
  console.log(`prisma-generate: clients for ${PROVIDERS.join(' and ')} in ${dirname(PATHS.client.sqlite)}`);
}

/** Comments and blank lines do not change the database; everything else does. */
const significant = (text) =>
  text
    .split('\n')
    .map((l) => l.replace(/^\s*\/\/.*$/, '').trim())
    .filter(Boolean)
    .join('\n');

/** A throwaway PostgreSQL server (scripts/testkit/postgres.ts) for the CLI to connect to. */
async function diffServer() {
  const { tsImport } = await import('tsx/esm/api');
  const { startPostgres } = await tsImport('./testkit/postgres.ts', import.meta.url);
  return startPostgres();
}

async function newMigration(source, name) {
  if (!/^[a-z][a-z0-9_]{0,60}$/.test(name)) throw new Error('migration name: lower-case letters, digits, _');
  const snapshotPath = join(ROOT, PATHS.snapshot);
  const snapshot = existsSync(snapshotPath) ? readFileSync(snapshotPath, 'utf8') : undefined;
  const existing = PROVIDERS.flatMap((p) =>
    existsSync(join(ROOT, PATHS.migrations[p])) ? readdirSync(join(ROOT, PATHS.migrations[p])) : [],
  ).filter((d) => /^\d{14}_/.test(d));
  let stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  // Directory names sort into apply order; never sort before (or collide with) an existing one.
  const newest = existing
    .map((d) => d.slice(0, 14))
    .sort()
    .at(-1);
  if (newest && stamp <= newest) stamp = String(BigInt(newest) + 1n);
  const tmp = mkdtempSync(join(tmpdir(), 'viworks-migration-'));
  const pg = await diffServer();
  try {
    const sql = {};
    for (const p of PROVIDERS) {
      const to = join(tmp, `${p}.prisma`);
      writeFileSync(to, schemaFor(p, source));
      let from = ['--from-empty'];
      if (snapshot !== undefined) {
        writeFileSync(join(tmp, `${p}-from.prisma`), schemaFor(p, snapshot));
        from = ['--from-schema-datamodel', join(tmp, `${p}-from.prisma`)];
      }
      const url = p === 'postgresql' ? pg.url : PLACEHOLDER_URL[p];
      sql[p] = tidy(prisma(p, ['migrate', 'diff', ...from, '--to-schema-datamodel', to, '--script'], url));
    }
    const hasStatements = (text) => text.split('\n').some((l) => l.trim() && !l.trim().startsWith('--'));
    if (!PROVIDERS.some((p) => hasStatements(sql[p]))) {
      console.log('prisma-generate: schema.prisma has no changes since the last migration; nothing written');
      return;
    }
    for (const p of PROVIDERS) {
      const dir = join(PATHS.migrations[p], `${stamp}_${name}`);
      writeIfChanged(join(PATHS.migrations[p], 'migration_lock.toml'), lockFile(p));
      writeIfChanged(join(dir, 'migration.sql'), sql[p]);
      console.log(`prisma-generate: wrote ${dir}/migration.sql`);
    }
    writeIfChanged(PATHS.snapshot, source);
    console.log(
      'prisma-generate: review both SQL files (renames come out as drop + add), then run the tests',
    );
  } finally {
    await pg.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The adapter-based diff emits CREATE SCHEMA "public"; it needs CREATE on the database even when the
// schema exists, and migrations must apply to whatever schema the connection's search_path selects.
const tidy = (sql) =>
  `${sql.replace(/^-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n/m, '').trim()}\n`;

const lockFile = (p) =>
  `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${p}"\n`;

async function main(argv) {
  const source = readFileSync(join(ROOT, PATHS.source), 'utf8');
  const i = argv.indexOf('--new-migration');
  generateClients(source, argv.includes('--force'));
  if (i >= 0) {
    const name = argv[i + 1];
    if (!name) throw new Error('usage: prisma-generate.mjs --new-migration NAME');
    await newMigration(source, name);
    return;
  }
  const snapshotPath = join(ROOT, PATHS.snapshot);
  if (existsSync(snapshotPath) && significant(readFileSync(snapshotPath, 'utf8')) !== significant(source)) {
    console.warn(
      'prisma-generate: prisma/schema.prisma differs from the last migration; before committing run\n' +
        '  node scripts/prisma-generate.mjs --new-migration <name>',
    );
  }
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  console.error(`prisma-generate: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
