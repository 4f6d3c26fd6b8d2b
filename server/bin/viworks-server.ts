#!/usr/bin/env node
// viworks-server: start | init | migrate | print-config | pki | geo | gateway-control-key. Exit codes: 0 ok, 64 usage, 78 configuration,
// 1 anything else. Errors print their stable code and hint, never a stack trace or a secret.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { fromSiemDocument } from '../../core/siem/format.js';
import { formatBanner } from '../banner.js';
import { loadConfig, redactConfig, type ServerConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import { MigrationError } from '../data/migrate.js';
import { openHsm } from '../pki/hsm/hsm.js';
import { takeAdminPasswordFromEnv } from '../services/admin/first-admin.js';
import { loadAuditSigner, publishedAuditKeys } from '../services/audit/keys.js';
import { openWormArchive } from '../services/audit/worm/directory-archive.js';
import { loadOrCreateControlKey } from '../services/gateways/control-key.js';
import { prepareBackend, startServer } from '../start.js';
import { VERSION } from '../version.js';
import { AUDIT_USAGE, type AuditCommandDeps, runAuditCommand } from './audit-command.js';
import { GEO_USAGE, geoCommand } from './geo-command.js';
import { PKI_USAGE, pkiCommandLine } from './pki-command.js';

const USAGE = `usage: viworks-server <command> [options]

commands:
  start          start the backend (migrates the database, creates the PKI and first admin)
  init           create the data directory, database, PKI, secrets and first admin, then exit
${AUDIT_USAGE}
  migrate        apply pending database migrations and exit
  print-config   print the effective configuration (credentials redacted) and exit
  gateway-control-key
                 print the backend's SSH control public key (made if missing) for a gateway
                 node's authorized_keys; never the private key
${PKI_USAGE}
${GEO_USAGE}

options:
  --config FILE  JSON configuration file (also VIWORKS_CONFIG); environment variables win
  --json         machine-readable output (one JSON object on stdout)
  --version      print the version
  -h, --help     this help
`;

/** What `audit seal|verify` use: the backend's own signer, WORM copy, SIEM decoders and published keys. */
const AUDIT_DEPS: AuditCommandDeps = {
  signer: async (config) => loadAuditSigner(config.dataDir, config.hsm ? await openHsm(config.hsm) : null),
  archive: (config) => (config.audit.worm ? openWormArchive(config.audit.worm) : Promise.resolve(null)),
  siemDecoder: (format) => (doc) => fromSiemDocument(format, doc),
  verificationKeys: async (config) => publishedAuditKeys(config.dataDir),
};

async function start(config: ServerConfig, json: boolean): Promise<void> {
  const server = await startServer(config, { adminPassword: takeAdminPasswordFromEnv() });
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Before the banner: whoever waits for it may stop the server at once, and must get a clean stop.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.stdout.write(json ? `${JSON.stringify(server.banner)}\n` : formatBanner(server.banner));
}

/** Everything the first start creates, without serving: for provisioning and scale-out setups. */
async function init(config: ServerConfig, json: boolean): Promise<void> {
  const prepared = await prepareBackend(config, { adminPassword: takeAdminPasswordFromEnv() });
  await prepared.hsm?.close();
  await prepared.database.close();
  const result = {
    v: 1,
    data_dir: config.dataDir,
    database: prepared.database.provider,
    ca_file: join(config.dataDir, 'pki', 'root.crt'),
    backend_pins: prepared.pki.backendApi.pins,
    first_admin: prepared.firstAdmin?.oneTimePassword
      ? { username: prepared.firstAdmin.username, one_time_password: prepared.firstAdmin.oneTimePassword }
      : null,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `ViWorkS backend initialized in ${result.data_dir} (${result.database})`,
    `  root CA        : ${result.ca_file}`,
    `  backend pins   : ${result.backend_pins.primary_b64} (primary)`,
    `                   ${result.backend_pins.backup_b64} (backup)`,
  ];
  if (result.first_admin) {
    lines.push(
      `  first admin    : ${result.first_admin.username}, one-time password ${result.first_admin.one_time_password}`,
      '                   (shown once; it must be changed at first login)',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function migrate(config: ServerConfig, json: boolean): Promise<void> {
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  await database.close();
  const result = { v: 1, migrated: true, database: database.provider };
  process.stdout.write(
    json ? `${JSON.stringify(result)}\n` : `database (${database.provider}) is up to date\n`,
  );
}

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  version: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  'print-config': { type: 'boolean', default: false },
} as const;

async function main(argv: string[]): Promise<number> {
  // `geo` has options of its own (--country FILE …): it parses the command line itself.
  const loose = parseArgs({ args: argv, allowPositionals: true, strict: false, options: OPTIONS });
  if (loose.positionals[0] === 'geo') return geoCommand(argv);
  // `audit` and `pki` too (--worm DIR, --out DIR, …).
  if (loose.positionals[0] === 'audit') return runAuditCommand(argv, AUDIT_DEPS);
  if (loose.positionals[0] === 'pki') return pkiCommandLine(argv);
  let parsed: ReturnType<typeof parse>;
  const parse = (args: string[]) =>
    parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(values.json ? `${JSON.stringify({ v: 1, version: VERSION })}\n` : `${VERSION}\n`);
    return 0;
  }
  const command = values['print-config'] ? 'print-config' : (positionals[0] ?? 'start');
  const commands = ['start', 'init', 'migrate', 'print-config', 'gateway-control-key'];
  if (positionals.length > 1 || !commands.includes(command)) {
    process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    return 64;
  }
  const config = loadConfig(values.config ? { file: values.config } : {});
  if (command === 'print-config') {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, values.json ? 0 : 2)}\n`);
    return 0;
  }
  if (command === 'gateway-control-key') {
    const line = loadOrCreateControlKey(config.dataDir).publicKeyLine;
    process.stdout.write(values.json ? `${JSON.stringify({ v: 1, public_key: line })}\n` : `${line}\n`);
    return 0;
  }
  if (command === 'migrate') await migrate(config, values.json);
  else if (command === 'init') await init(config, values.json);
  else await start(config, values.json);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    if (isViworksError(err)) {
      process.stderr.write(
        `error ${err.code}: ${err.message}\n${err.details.map((d) => `  - ${d}\n`).join('')}hint: ${err.hint}\n`,
      );
      process.exit(err.code === 'VIW_E_CONFIG' ? 78 : 1);
    }
    if (err instanceof MigrationError) {
      process.stderr.write(`error VIW_E_DB_MIGRATION (${err.code}): ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`error VIW_E_INTERNAL: ${(err as Error)?.message ?? 'unexpected failure'}\n`);
    process.exit(1);
  },
);
