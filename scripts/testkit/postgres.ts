// A throwaway PostgreSQL cluster for tests: its own temp dir, 127.0.0.1 on a free port, unix socket in
// the temp dir (never /var/run/postgresql), fsync off, a random password. As root the server must run
// as the `postgres` OS user (initdb and postgres refuse root), so the dir is handed to that user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isRoot, needPeers, type PeerCheck } from './peers.js';
import { freePort } from './ports.js';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed `/usr/lib/postgresql/<major>/bin` that has initdb and pg_ctl (or VIWORKS_PG_BIN). */
export function findPostgresBin(): string | undefined {
  const override = process.env.VIWORKS_PG_BIN;
  if (override) return override;
  let majors: number[] = [];
  try {
    majors = readdirSync(PG_ROOT)
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const major of majors) {
    const bin = join(PG_ROOT, String(major), 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** For node:test's `skip`: skips on a developer machine without PostgreSQL, throws in CI. */
export function postgresPeers(): PeerCheck {
  const bin = findPostgresBin() ?? `${PG_ROOT}/15/bin`;
  return needPeers({ binaries: [join(bin, 'initdb'), join(bin, 'pg_ctl')], apt: 'postgresql' });
}

export interface TestPostgres {
  /** URL of database `viworks` owned by the non-superuser role `viworks` (what the server gets). */
  readonly url: string;
  /** Superuser URL (database `postgres`), for creating databases and inspecting catalogs. */
  readonly adminUrl: string;
  /** Creates an empty database owned by `viworks` and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const f = line?.split(':');
  if (!f?.[2] || !f[3])
    throw new Error('running as root needs the `postgres` OS user (apt-get install postgresql)');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

const secret = () => randomBytes(18).toString('hex');

/**
 * Servers still running. A test process that crashes, or is interrupted (Ctrl-C, the runner's
 * timeout), must not leave a postmaster and its temp dir behind: stop them on exit and on
 * SIGINT/SIGTERM, then let the signal take its default course.
 */
const untilExit = new Set<() => void>();
let hooked = false;
function stopAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  const stopAll = () => {
    for (const stop of untilExit) stop();
    untilExit.clear();
  };
  process.once('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll();
      process.kill(process.pid, signal);
    });
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'viworks-pg-'));
  const data = join(dir, 'data');
  const root = isRoot();
  const opts = { stdio: 'pipe' as const, timeout: 60_000 };
  // initdb/pg_ctl refuse to run as root; the cluster belongs to `postgres` and our process talks TCP.
  const asOwner = (cmd: string, args: string[]) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], opts)
      : execFileSync(cmd, args, opts);
  const superPassword = secret();
  const appPassword = secret();
  let port = 0;
  const stopSync = () => {
    // postmaster.pid also exists when pg_ctl gave up waiting on a server that did start.
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  stopAllOnExit();
  untilExit.add(stopSync);
  try {
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
    if (root) {
      const { uid, gid } = postgresIds();
      chownSync(dir, uid, gid);
      chownSync(pwfile, uid, gid);
    }
    asOwner(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    rmSync(pwfile);
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-k ${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=50',
      ];
      try {
        asOwner(join(bin, 'pg_ctl'), [
          '-D',
          data,
          '-l',
          join(dir, 'log'),
          '-w',
          '-t',
          '30',
          '-o',
          settings.join(' '),
          'start',
        ]);
        break;
      } catch (err) {
        // Another process may have taken the port between probing and binding; try a new one.
        if (attempt >= 2) throw new Error(`pg_ctl start failed: ${readLog(dir)}`, { cause: err });
      }
    }
  } catch (err) {
    stopSync();
    untilExit.delete(stopSync);
    throw err;
  }
  const base = `127.0.0.1:${port}`;
  const adminUrl = `postgresql://postgres:${superPassword}@${base}/postgres`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE ROLE viworks LOGIN PASSWORD '${appPassword}'`);
  let n = 0;
  const createDatabase = async (name = `viworks_${++n}`) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    await admin(`CREATE DATABASE ${name} OWNER viworks`);
    return `postgresql://viworks:${appPassword}@${base}/${name}`;
  };
  const url = await createDatabase('viworks');
  return {
    url,
    adminUrl,
    createDatabase,
    async stop() {
      stopSync();
      untilExit.delete(stopSync);
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** One provider the data layer runs on, as node:test suites use it: the same body for each. */
export interface DatabaseTarget {
  readonly provider: 'sqlite' | 'postgresql';
  /** node:test's `skip`: set when PostgreSQL is not installed (throws instead in CI). */
  readonly skip: string | undefined;
  /** Call in before()/after(): starts/stops the PostgreSQL server; removes temp dirs. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * A fresh, empty database and data dir. SQLite: `url` is undefined, the code under test makes
   * `<dataDir>/viworks.db`. PostgreSQL: a new database on the shared test server.
   */
  fresh(): Promise<{ url: string | undefined; dataDir: string }>;
  /** The running PostgreSQL server (after start()); undefined for SQLite. */
  readonly server: TestPostgres | undefined;
}

function tempDirs() {
  const dirs: string[] = [];
  return {
    make: () => {
      const d = mkdtempSync(join(tmpdir(), 'viworks-data-'));
      dirs.push(d);
      return d;
    },
    removeAll: async () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

export function databaseTargets(): DatabaseTarget[] {
  const sqliteDirs = tempDirs();
  const pgDirs = tempDirs();
  let server: TestPostgres | undefined;
  return [
    {
      provider: 'sqlite',
      skip: undefined,
      server: undefined,
      start: async () => {},
      stop: sqliteDirs.removeAll,
      fresh: async () => ({ url: undefined, dataDir: sqliteDirs.make() }),
    },
    {
      provider: 'postgresql',
      skip: postgresPeers().skip,
      get server() {
        return server;
      },
      start: async () => {
        server = await startPostgres();
      },
      stop: async () => {
        await server?.stop();
        await pgDirs.removeAll();
      },
      fresh: async () => {
        if (!server) throw new Error('call start() first');
        return { url: await server.createDatabase(), dataDir: pgDirs.make() };
      },
    },
  ];
}
