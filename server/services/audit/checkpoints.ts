// Signed checkpoints over the audit hash chain (docs/audit.md#checkpoints). The chain alone shows an
// edit to one event, but whoever can write the database could recompute every hash after it. A
// checkpoint — the audit key's signature over (seq, hash, time) of the chain head, by a key that lives
// outside the database — pins the chain between two sealed batches: a consistent rewrite no longer
// matches the signed hashes, and a copy that ends before a checkpoint is known to be cut short.
// Checkpoints are appended to <dataDir>/audit/checkpoints.ndjson every minute.
//
// v1 lines (before the signer could be an HSM) are Ed25519 over a fixed text; v2 lines name the
// algorithm and key and are signed like manifests: a prefix, then the canonical JSON without sig.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { canonicalJson } from '../../../core/audit/chain.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { Db } from '../../data/client.js';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../../fs/private-files.js';
import {
  type AuditSignatureAlgorithm,
  type AuditSigner,
  fileAuditSigner,
  keyIdOf,
  verifyAuditSignature,
} from './signer.js';

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const At = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' });
const Sig = Type.String({ minLength: 4, maxLength: 200, pattern: '^[A-Za-z0-9+/]+={0,2}$' });

const CheckpointV1Schema = Type.Object(
  { v: Type.Literal(1), seq: Seq, hash: Hex64, at: At, sig: Sig },
  closed,
);
const CheckpointV2Schema = Type.Object(
  {
    v: Type.Literal(2),
    seq: Seq,
    hash: Hex64,
    at: At,
    key_id: Hex64,
    alg: Type.Enum(['ed25519', 'ecdsa-p256-sha256']),
    sig: Sig,
  },
  closed,
);
const checkpointValidator = strictValidator(Type.Union([CheckpointV1Schema, CheckpointV2Schema]));

export type CheckpointV1 = Static<typeof CheckpointV1Schema>;
export type CheckpointV2 = Static<typeof CheckpointV2Schema>;
export type Checkpoint = CheckpointV1 | CheckpointV2;

/** One line of a checkpoint file: the checkpoint, or why the line could not be read. */
export type CheckpointLine =
  | { readonly line: number; readonly checkpoint: Checkpoint }
  | { readonly line: number; readonly checkpoint: null };

export interface AuditSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A public key a verifier accepts signatures from. */
export interface TrustedKey {
  readonly keyId: string;
  readonly algorithm: AuditSignatureAlgorithm;
  readonly publicKeyPem: string;
}

/** A checkpoint line longer than this is not one of ours. */
const MAX_CHECKPOINT_LINE = 1024;

export function auditPaths(dataDir: string) {
  return {
    key: join(dataDir, 'secrets', 'audit-signing.key'),
    publicKey: join(dataDir, 'audit', 'audit-signing.pub.pem'),
    checkpoints: join(dataDir, 'audit', 'checkpoints.ndjson'),
  };
}

/** Created at first start; the public half is written beside the audit stream for verifiers. */
export function loadOrCreateAuditSigningKey(dataDir: string): AuditSigningKey {
  const paths = auditPaths(dataDir);
  let pem = readTextIfExists(paths.key);
  if (!pem) {
    pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writePrivateFile(paths.key, pem);
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  ensurePrivateDir(join(dataDir, 'audit'));
  writePrivateFile(paths.publicKey, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return { privateKey, publicKey };
}

/** A verification key from its SPKI PEM: Ed25519 or ECDSA P-256, anything else is refused. */
export function trustedKeyFromPem(pem: string): TrustedKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['key: not a public key PEM'], cause });
  }
  const algorithm = algorithmOf(key);
  if (!algorithm)
    throw new ViworksError('VIW_E_VALIDATION', { details: ['key: not an Ed25519 or ECDSA P-256 key'] });
  return {
    keyId: keyIdOf(key),
    algorithm,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function algorithmOf(key: KeyObject): AuditSignatureAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256-sha256';
  return null;
}

const v1SignedBytes = (seq: number, hash: string, at: string) =>
  Buffer.from(`viworks-audit-checkpoint-v1\n${seq}\n${hash}\n${at}`, 'utf8');

function v2SignedBytes(cp: Omit<CheckpointV2, 'sig'> | CheckpointV2): Buffer {
  const { sig: _sig, ...unsigned } = cp as CheckpointV2;
  return Buffer.from(`viworks-audit-checkpoint-v2\n${canonicalJson(unsigned)}`, 'utf8');
}

/** The last line of the file, read from its tail: the file grows by a line a minute, for years. */
export function lastCheckpoint(path: string): Checkpoint | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 4 * MAX_CHECKPOINT_LINE);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const last = buf.toString('utf8').trimEnd().split('\n').pop();
    if (!last) return null;
    return checkpointValidator.check(safeJson(last)) ? (JSON.parse(last) as Checkpoint) : null;
  } finally {
    closeSync(fd);
  }
}

function isSigner(s: AuditSigner | AuditSigningKey): s is AuditSigner {
  return typeof (s as AuditSigner).sign === 'function';
}

/**
 * Signs the current chain head when it moved since the last checkpoint; returns the new one (null
 * when nothing moved). `signer` may still be the file key itself (the start sequence before it
 * builds an AuditSigner).
 */
export async function writeCheckpoint(
  db: Db,
  signer: AuditSigner | AuditSigningKey,
  dataDir: string,
  now = new Date(),
): Promise<CheckpointV2 | null> {
  const s = isSigner(signer) ? signer : fileAuditSigner(signer);
  const head = await db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  if (!head) return null;
  const path = auditPaths(dataDir).checkpoints;
  const seq = Number(head.seq);
  if ((lastCheckpoint(path)?.seq ?? 0) >= seq) return null;
  const unsigned = {
    v: 2 as const,
    seq,
    hash: head.hash,
    at: now.toISOString(),
    key_id: s.keyId,
    alg: s.algorithm,
  };
  const sig = (await s.sign(v2SignedBytes(unsigned))).toString('base64');
  const cp: CheckpointV2 = { ...unsigned, sig };
  ensurePrivateDir(join(dataDir, 'audit'));
  appendFileSync(path, `${JSON.stringify(cp)}\n`, { mode: 0o600 });
  return cp;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every line of a checkpoint file's text, read or marked unreadable (never thrown). */
export function parseCheckpointLines(text: string): CheckpointLine[] {
  const out: CheckpointLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const value = raw.length <= MAX_CHECKPOINT_LINE ? safeJson(raw) : undefined;
    out.push({ line: i + 1, checkpoint: checkpointValidator.check(value) ? (value as Checkpoint) : null });
  });
  return out;
}

/** The checkpoint lines of a file (none when it does not exist). */
export function readCheckpointFile(path: string): CheckpointLine[] {
  return parseCheckpointLines(readTextIfExists(path) ?? '');
}

export function readCheckpoints(dataDir: string): CheckpointLine[] {
  return readCheckpointFile(auditPaths(dataDir).checkpoints);
}

/**
 * 'valid', 'invalid' (a key it names, or for v1 any Ed25519 key, does not verify it), or
 * 'unknown-key' (a v2 checkpoint by a key the verifier was not given).
 */
export function checkCheckpointSignature(
  cp: Checkpoint,
  keys: readonly TrustedKey[],
): 'valid' | 'invalid' | 'unknown-key' {
  const sig = Buffer.from(cp.sig, 'base64');
  if (cp.v === 1) {
    const candidates = keys.filter((k) => k.algorithm === 'ed25519');
    if (candidates.length === 0) return 'unknown-key';
    const data = v1SignedBytes(cp.seq, cp.hash, cp.at);
    return candidates.some((k) => verifyAuditSignature('ed25519', k.publicKeyPem, data, sig))
      ? 'valid'
      : 'invalid';
  }
  const key = keys.find((k) => k.keyId === cp.key_id);
  if (!key) return 'unknown-key';
  if (key.algorithm !== cp.alg) return 'invalid';
  return verifyAuditSignature(cp.alg, key.publicKeyPem, v2SignedBytes(cp), sig) ? 'valid' : 'invalid';
}

export function readAuditPublicKey(dataDir: string): KeyObject {
  return createPublicKey(readFileSync(auditPaths(dataDir).publicKey, 'utf8'));
}
