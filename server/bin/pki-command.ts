// `viworks-server pki …`: the pin roll (server/pki/pin-roll.ts), the PKI's status, and the offline
// root flow (server/pki/offline-root.ts). `--json` prints exactly the command's versioned result.
// Exit 64 on a usage error; refusals are thrown as ViworksErrors (VIW_E_CONFIG → 78, others → 1).
// Actions on the backend host are recorded as audit events (pki.pin_roll, pki.root_export,
// pki.intermediate_csr, pki.intermediate_install); sign-intermediate runs on the offline root
// machine and needs no configuration, database or token.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type ServerConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import { loadOrCreatePki, type PkiStatus, pkiStatus } from '../pki/embedded-pki.js';
import { type Hsm, openHsm } from '../pki/hsm/hsm.js';
import {
  exportRoot,
  installIntermediate,
  isIntermediateName,
  signIntermediate,
  writeIntermediateCsr,
} from '../pki/offline-root.js';
import { isPinRollTarget, PIN_ROLL_TARGETS, type PinRollReport, rollPins } from '../pki/pin-roll.js';
import { loadOrCreateSecrets } from '../secrets.js';
import { auditPaths } from '../services/audit/checkpoints.js';
import { AuditService } from '../services/audit/service.js';
import { splitNames } from '../start.js';

export const PKI_USAGE = `  pki roll backend-api|tls-gateway
                 pin roll: the backup key becomes primary, a new backup key is made; prints both pins
  pki status     every CA: subject, expiry and where its key is (file, pkcs11 token, offline)
  pki export-root --out DIR
                 copy the root key and certificate to DIR (removable media, outside the data
                 directory), read them back, then wipe the root key here: the root goes offline
  pki intermediate-csr --name NAME --out FILE
                 a new key for intermediate NAME (in the token when hsm is set) and its CSR
  pki sign-intermediate --root-dir DIR --csr FILE --name NAME --out CERT [--days N]
                 on the offline root machine: check the CSR, sign it (no config, no database)
  pki install-intermediate --name NAME --cert FILE
                 the signed certificate replaces intermediate NAME; the old one stays as NAME.prev.crt`;

const USAGE_LINE = `usage: viworks-server pki roll ${PIN_ROLL_TARGETS.join('|')} [--json]
       viworks-server pki status [--json]
       viworks-server pki export-root --out DIR [--json]
       viworks-server pki intermediate-csr --name int-tls|int-vpn|int-device --out FILE [--json]
       viworks-server pki sign-intermediate --root-dir DIR --csr FILE --name NAME --out CERT [--days N] [--json]
       viworks-server pki install-intermediate --name NAME --cert FILE [--json]
`;

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  out: { type: 'string' },
  name: { type: 'string' },
  'root-dir': { type: 'string' },
  csr: { type: 'string' },
  cert: { type: 'string' },
  days: { type: 'string' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
}

/** The options each verb takes besides --config, --json and --help (the rest are usage errors). */
const VERB_OPTIONS: Record<string, readonly (keyof Values)[]> = {
  roll: [],
  status: [],
  'export-root': ['out'],
  'intermediate-csr': ['name', 'out'],
  'sign-intermediate': ['root-dir', 'csr', 'name', 'out', 'days'],
  'install-intermediate': ['name', 'cert'],
};
const OPTIONAL: readonly (keyof Values)[] = ['days'];

function usable(verb: string | undefined, rest: readonly string[], values: Values): boolean {
  const allowed = verb === undefined ? undefined : VERB_OPTIONS[verb];
  if (!allowed) return false;
  if (verb === 'roll' ? !(rest.length === 1 && isPinRollTarget(rest[0])) : rest.length > 0) return false;
  const given = (Object.keys(OPTIONS) as (keyof Values)[]).filter(
    (k) => !['config', 'json', 'help'].includes(k) && values[k] !== undefined,
  );
  if (given.some((k) => !allowed.includes(k))) return false;
  if (allowed.some((k) => !OPTIONAL.includes(k) && values[k] === undefined)) return false;
  if (values.name !== undefined && !isIntermediateName(values.name)) return false;
  return values.days === undefined || /^[0-9]{1,4}$/.test(values.days);
}

/** `argv` is the whole command line (global options included); positionals[0] is `pki`. */
export async function pkiCommandLine(
  argv: readonly string[],
  loadServerConfig: (file?: string) => ServerConfig = (file) => loadConfig(file ? { file } : {}),
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE_LINE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE_LINE);
    return 0;
  }
  const [, verb, ...rest] = positionals;
  if (!usable(verb, rest, values)) {
    process.stderr.write(USAGE_LINE);
    return 64;
  }
  const { result, text } = await run(verb!, rest, values, () => loadServerConfig(values.config));
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${text.join('\n')}\n`);
  return 0;
}

/** The versioned result (--json) and its human form. */
interface Outcome {
  readonly result: object;
  readonly text: readonly string[];
}

async function run(
  verb: string,
  rest: readonly string[],
  values: Values,
  config: () => ServerConfig,
): Promise<Outcome> {
  const name = isIntermediateName(values.name) ? values.name : 'int-tls';
  if (verb === 'sign-intermediate') {
    const r = await signIntermediate({
      rootDir: values['root-dir']!,
      csrFile: values.csr!,
      name,
      outFile: values.out!,
      ...(values.days === undefined ? {} : { days: Number(values.days) }),
    });
    return {
      result: r,
      text: [`signed ${r.subject} (serial ${r.serial}, until ${r.not_after})`, `  certificate: ${r.out}`],
    };
  }
  const c = config();
  return withHsm(c, async (hsm): Promise<Outcome> => {
    const opts = hsm ? { hsm } : {};
    if (verb === 'roll') {
      const target = rest[0] as PinRollReport['target'];
      const report = await rollPins(c, splitNames(c.publicNames), target, opts);
      await recordPkiEvent(c, 'pki.pin_roll', report.target);
      return { result: report, text: rollText(report) };
    }
    if (verb === 'status') {
      const status = await pkiStatus(c.dataDir, { ...opts, audit: await auditKeyStorage(c, hsm) });
      return { result: status, text: statusText(status) };
    }
    if (verb === 'export-root') {
      // Everything the root must sign is made (and checked) before the root leaves.
      await loadOrCreatePki(c.dataDir, splitNames(c.publicNames), opts);
      const r = await exportRoot(c.dataDir, values.out!);
      await recordPkiEvent(c, 'pki.root_export', 'root');
      return {
        result: r,
        text: [
          `root CA exported to ${r.out_dir} (root.key, root.crt) and read back`,
          `  removed from this host: ${r.removed}`,
          '  keep the medium offline; new intermediates: pki intermediate-csr / sign-intermediate / install-intermediate',
        ],
      };
    }
    if (verb === 'intermediate-csr') {
      const r = await writeIntermediateCsr(c.dataDir, name, values.out!, opts);
      await recordPkiEvent(c, 'pki.intermediate_csr', name);
      return {
        result: r,
        text: [
          `CSR for ${r.subject} written to ${r.out} (pending key: ${r.key_storage})`,
          `  sign it on the root machine: viworks-server pki sign-intermediate --root-dir DIR --csr FILE --name ${name} --out CERT`,
        ],
      };
    }
    const r = await installIntermediate(c.dataDir, name, values.cert!, opts);
    await recordPkiEvent(c, 'pki.intermediate_install', name);
    return {
      result: r,
      text: [
        `${name} is now ${r.subject} (serial ${r.serial}, until ${r.not_after}, key: ${r.key_storage})`,
        r.previous ? `  previous certificate kept as ${name}.prev.crt (until ${r.previous.not_after})` : '',
        '  restart the server to use it, then push the gateway material',
      ].filter(Boolean),
    };
  });
}

function rollText(r: PinRollReport): string[] {
  return [
    `pin roll of ${r.target} done`,
    `  new primary pin (was the backup): ${r.pins.primary_b64}`,
    `  new backup pin:                   ${r.pins.backup_b64}`,
    `  retired primary pin:              ${r.previous.primary_b64}`,
    r.target === 'backend-api'
      ? 'restart the server to present the new key; ship the new backup pin to clients before the next roll'
      : 'restart the server (next bootstraps carry the new pins) and push the gateway material',
  ];
}

function statusText(s: PkiStatus): string[] {
  const lines = [`PKI in ${s.data_dir}${s.hsm ? ` (token "${s.hsm.token_label}", ${s.hsm.model})` : ''}`];
  for (const ca of s.cas) {
    const extra = [
      ca.pending_key ? `pending key: ${ca.pending_key}` : '',
      ca.previous ? `previous until ${ca.previous.not_after}` : '',
    ].filter(Boolean);
    lines.push(
      `  ${ca.name.padEnd(10)} ${ca.key_storage.padEnd(7)} ${ca.not_after ?? '-'}  ${ca.subject ?? '(no certificate)'}` +
        (extra.length > 0 ? `  [${extra.join(', ')}]` : ''),
    );
  }
  lines.push(`  audit key  ${s.audit}`);
  return lines;
}

async function withHsm<T>(config: ServerConfig, use: (hsm: Hsm | undefined) => Promise<T>): Promise<T> {
  if (!config.hsm) return use(undefined);
  const hsm = await openHsm(config.hsm);
  try {
    return await use(hsm);
  } finally {
    await hsm.close();
  }
}

async function auditKeyStorage(config: ServerConfig, hsm: Hsm | undefined): Promise<PkiStatus['audit']> {
  if (hsm && (await hsm.describe()).keys.some((k) => k.label === 'viworks-audit')) return 'pkcs11';
  return existsSync(auditPaths(config.dataDir).key) ? 'file' : 'missing';
}

async function recordPkiEvent(config: ServerConfig, action: string, cmd: string): Promise<void> {
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    const audit = new AuditService(
      database.db,
      { env: config.audit.env, site: config.audit.site, tenant_id: config.audit.tenant },
      loadOrCreateSecrets(config.dataDir).pseudonymKey,
      { dataDir: config.dataDir },
    );
    await audit.record({ component: 'pki', action, result: 'success', cmd });
  } finally {
    await database.close();
  }
}
