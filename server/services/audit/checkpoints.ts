// Signed checkpoints over the audit hash chain (docs/architecture.md#signed-audit-log, a first step). The
// chain alone shows an edit to one event, but whoever can write the database could recompute every
// hash after it. A checkpoint — Ed25519 signature over (seq, hash, time) of the chain head, by a
// key that lives outside the database — pins the chain: a consistent rewrite no longer matches the
// signed hashes. Checkpoints are appended to <dataDir>/audit/checkpoints.ndjson, beside the NDJSON
// event stream, where a SIEM shipper or WORM copy picks them up.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../data/client.js';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../../fs/private-files.js';

export interface Checkpoint {
  readonly v: 1;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly sig: string;
}

export interface AuditSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

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

const signedBytes = (seq: number, hash: string, at: string) =>
  Buffer.from(`viworks-audit-checkpoint-v1\n${seq}\n${hash}\n${at}`, 'utf8');

function lastCheckpoint(path: string): Checkpoint | null {
  const text = readTextIfExists(path);
  const last = text?.trimEnd().split('\n').pop();
  return last ? (JSON.parse(last) as Checkpoint) : null;
}

/** Signs the current chain head when it moved since the last checkpoint; returns the new one. */
export async function writeCheckpoint(db: Db, key: AuditSigningKey, dataDir: string, now = new Date()) {
  const head = await db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  if (!head) return null;
  const path = auditPaths(dataDir).checkpoints;
  const seq = Number(head.seq);
  if ((lastCheckpoint(path)?.seq ?? 0) >= seq) return null;
  const at = now.toISOString();
  const sig = sign(null, signedBytes(seq, head.hash, at), key.privateKey).toString('base64');
  const cp: Checkpoint = { v: 1, seq, hash: head.hash, at, sig };
  appendFileSync(path, `${JSON.stringify(cp)}\n`, { mode: 0o600 });
  return cp;
}

export function readCheckpoints(dataDir: string): Checkpoint[] {
  const text = readTextIfExists(auditPaths(dataDir).checkpoints) ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Checkpoint);
}

export function checkpointSignatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, signedBytes(cp.seq, cp.hash, cp.at), publicKey, Buffer.from(cp.sig, 'base64'));
  } catch {
    return false;
  }
}

export function readAuditPublicKey(dataDir: string): KeyObject {
  return createPublicKey(readFileSync(auditPaths(dataDir).publicKey, 'utf8'));
}
