// `viworks-server audit verify|prove|seal` (docs/audit.md): verify the trail and its copies, prove
// that one event is in a signed batch, or seal pending events now. `--json` prints exactly one
// `{v: 1, …}` object. Exit 0 ok, 1 findings (or a batch the WORM copy refused), 64 usage; errors
// (VIW_E_NOT_FOUND for an unsealed event, VIW_E_CONFIG …) are thrown to the caller.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { loadConfig, type ServerConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import type { AuditArchive } from '../services/audit/archive.js';
import { type SealResult, sealPendingBatches } from '../services/audit/batches.js';
import {
  auditPaths,
  loadOrCreateAuditSigningKey,
  type TrustedKey,
  trustedKeyFromPem,
} from '../services/audit/checkpoints.js';
import {
  type AuditVerification,
  decodeNativeLine,
  type SiemDecoder,
  verifyAuditTrail,
} from '../services/audit/copies.js';
import { type EventProof, proveEvent } from '../services/audit/prove.js';
import { type AuditSigner, fileAuditSigner } from '../services/audit/signer.js';

export const AUDIT_USAGE = `  audit verify [--ndjson FILE] [--worm DIR] [--siem FILE [--siem-format native|ecs|ocsf]] [--key PEM]...
                 verify the audit trail (hash chain, signed batches and checkpoints) and each copy
                 given against it; exit 1 on findings
  audit prove SEQ
                 the inclusion proof of one event in its signed batch
  audit seal     seal pending audit events into a signed batch now, and write the WORM copy`;

const USAGE_LINE =
  'usage: viworks-server audit verify [--ndjson FILE] [--worm DIR] [--siem FILE [--siem-format native|ecs|ocsf]] [--key PEM]... [--json]\n' +
  '       viworks-server audit prove SEQ [--json]\n' +
  '       viworks-server audit seal [--json]\n';

/** What the start sequence knows and this command should use the same way. */
export interface AuditCommandDeps {
  /** The signer of `audit seal`; default: the file key (refused when an HSM is configured). */
  readonly signer?: (config: ServerConfig) => Promise<AuditSigner>;
  /** The WORM copy `audit seal` writes; default: none (the server's sealer writes it on its next run). */
  readonly archive?: (config: ServerConfig) => Promise<AuditArchive | null>;
  /** Decoders of ECS and OCSF exports (core/siem); native is built in. */
  readonly siemDecoder?: (format: 'ecs' | 'ocsf') => SiemDecoder;
  /** Keys `audit verify` trusts besides the published file key (e.g. the token's). */
  readonly verificationKeys?: (config: ServerConfig) => Promise<readonly TrustedKey[]>;
}

/** `audit seal --json`, version 1. */
export type AuditSealOutput = { readonly v: 1 } & SealResult;
/** `audit prove --json`, version 1. */
export type AuditProveOutput = { readonly v: 1 } & EventProof;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ndjson: { type: 'string' },
      worm: { type: 'string' },
      siem: { type: 'string' },
      'siem-format': { type: 'string' },
      key: { type: 'string', multiple: true },
    },
  });
}

type Parsed = ReturnType<typeof parse>;

function usage(message?: string): number {
  process.stderr.write(`${message ? `${message}\n` : ''}${USAGE_LINE}`);
  return 64;
}

/** `argv` is the whole command line (global options included); positionals[0] is `audit`. */
export async function runAuditCommand(argv: readonly string[], deps: AuditCommandDeps = {}): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE_LINE);
    return 0;
  }
  const [, verb, ...rest] = positionals;
  const fileOptions = values.ndjson ?? values.worm ?? values.siem ?? values['siem-format'] ?? values.key;
  if (verb === 'verify' && rest.length === 0) {
    const format = values['siem-format'];
    if (format !== undefined && (!values.siem || !['native', 'ecs', 'ocsf'].includes(format)))
      return usage('--siem-format: native, ecs or ocsf, with --siem FILE');
    return verify(configFrom(values), values, deps);
  }
  if (fileOptions !== undefined) return usage(`audit ${verb ?? ''}: no file options`);
  if (verb === 'prove' && rest.length === 1 && /^[1-9]\d{0,15}$/.test(rest[0]!))
    return prove(configFrom(values), Number(rest[0]), values.json);
  if (verb === 'seal' && rest.length === 0) return seal(configFrom(values), values.json, deps);
  return usage();
}

const configFrom = (values: Parsed['values']) => loadConfig(values.config ? { file: values.config } : {});

async function withDatabase<T>(
  config: ServerConfig,
  fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
) {
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

function readKey(path: string): TrustedKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['--key: cannot read the file'], cause });
  }
  return trustedKeyFromPem(pem);
}

async function verify(
  config: ServerConfig,
  values: Pick<Parsed['values'], 'json' | 'ndjson' | 'worm' | 'siem' | 'siem-format' | 'key'>,
  deps: AuditCommandDeps,
): Promise<number> {
  const published = auditPaths(config.dataDir).publicKey;
  const keys = values.key?.length
    ? values.key.map(readKey)
    : [
        ...(existsSync(published) ? [readKey(published)] : []),
        ...((await deps.verificationKeys?.(config)) ?? []),
      ];
  const format = (values['siem-format'] ?? config.siem.format) as 'native' | 'ecs' | 'ocsf';
  let decoder: SiemDecoder = decodeNativeLine;
  if (values.siem && format !== 'native') {
    const d = deps.siemDecoder?.(format);
    if (!d)
      throw new ViworksError('VIW_E_CONFIG', {
        details: [`--siem-format ${format}: no decoder in this build`],
      });
    decoder = d;
  }
  const worm = values.worm ? resolve(values.worm) : null;
  const configured = config.audit.worm;
  const result = await withDatabase(config, (database) =>
    verifyAuditTrail({
      db: database.db,
      databaseLocation: database.location,
      dataDir: config.dataDir,
      keys,
      ndjson: values.ndjson ?? null,
      worm: worm
        ? {
            dir: worm,
            retentionDays: configured && resolve(configured.dir) === worm ? configured.retentionDays : null,
          }
        : null,
      siem: values.siem ? { path: values.siem, decoder } : null,
      lagGraceS: Math.max(600, 10 * config.audit.batchIntervalS),
    }),
  );
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatVerification(result, keys.length));
  return result.ok ? 0 : 1;
}

function formatVerification(r: AuditVerification, keys: number): string {
  const lines: string[] = [];
  if (keys === 0) lines.push('no audit public key: signatures cannot be checked (give --key PEM)');
  for (const s of r.sources) {
    const batches =
      s.batches.first === null
        ? 'no signed batches'
        : `${s.batches.verified} signed batches (${s.batches.first}..${s.batches.last})`;
    lines.push(
      `${s.source} ${s.location}: ${s.ok ? 'intact' : 'BROKEN'} — ${s.events} events, ${batches}, ${s.checkpoints} checkpoints`,
    );
    for (const f of s.findings) lines.push(`  - ${f.message}`);
    for (const n of s.notes) lines.push(`  note: ${n}`);
  }
  if (r.cross_checks.length > 0) {
    lines.push('database against the WORM copy: BROKEN');
    for (const f of r.cross_checks) lines.push(`  - ${f.message}`);
  }
  lines.push(r.ok ? 'audit trail intact' : 'audit trail BROKEN');
  return `${lines.join('\n')}\n`;
}

async function prove(config: ServerConfig, seq: number, json: boolean): Promise<number> {
  const proof = await withDatabase(config, (d) =>
    proveEvent(d.db, seq, { batchIntervalS: config.audit.batchIntervalS }),
  );
  const out: AuditProveOutput = { v: 1, ...proof };
  process.stdout.write(
    json
      ? `${JSON.stringify(out)}\n`
      : [
          `event ${proof.seq} is leaf ${proof.leaf_index} of ${proof.tree_size} in batch ${proof.batch}`,
          `  leaf hash:  ${proof.leaf_hash}`,
          `  audit path: ${proof.audit_path.length ? proof.audit_path.join('\n              ') : '(none: the only leaf)'}`,
          `  root:       ${proof.root}`,
          `  signed by:  ${proof.manifest.alg} key ${proof.manifest.key_id} at ${proof.manifest.sealed_at}`,
          '',
        ].join('\n'),
  );
  return 0;
}

async function defaultSigner(config: ServerConfig): Promise<AuditSigner> {
  if (config.hsm)
    throw new ViworksError('VIW_E_CONFIG', {
      details: ['hsm: audit seal cannot reach the token signer in this build'],
    });
  return fileAuditSigner(loadOrCreateAuditSigningKey(config.dataDir));
}

async function seal(config: ServerConfig, json: boolean, deps: AuditCommandDeps): Promise<number> {
  const signer = await (deps.signer ?? defaultSigner)(config);
  const archive = deps.archive ? await deps.archive(config) : null;
  const result = await withDatabase(config, (d) =>
    sealPendingBatches({ db: d.db, signer, archive, now: () => new Date() }),
  );
  const out: AuditSealOutput = { v: 1, ...result };
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else {
    const lines = result.sealed.map((b) => `sealed batch ${b.batch}: events ${b.first_seq}..${b.last_seq}`);
    if (lines.length === 0) lines.push('nothing to seal');
    if (result.archived.length > 0)
      lines.push(`written to the WORM copy: batches ${result.archived.join(', ')}`);
    if (result.archiveFailed)
      lines.push(
        `the WORM copy refused batch ${result.archiveFailed.batch} (${result.archiveFailed.error}); ${result.archivePending} pending`,
      );
    else if (!archive && config.audit.worm)
      lines.push('the WORM copy is written by the server on its next seal');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.archiveFailed ? 1 : 0;
}
