// The gateway's own audit trail: one JSON line per request — valid or not, shell requests included
// — appended to a 0600 file, with a sequence number persisted in the state dir so the backend can
// pull "everything after N" without gaps or repeats. It records the verb and its (non-secret,
// grammar-checked) arguments, never stdin. Callers hold the node lock, which serializes `seq`.
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const SEQ_FILE = 'audit.seq';
const LOGGER = '/usr/bin/logger';

export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  /** The verb, or "invalid" for anything the grammar refused. */
  readonly verb: string;
  readonly args: readonly string[];
  readonly rc: number;
  readonly duration_ms: number;
  readonly ssh_client: string | null;
  readonly error: string | null;
  /** For refused requests only: what was asked, escaped and cut (evidence of abuse attempts). */
  readonly attempt?: string;
}

export type AuditDraft = Omit<AuditEntry, 'seq' | 'ts'>;

function nextSeq(stateDir: string): number {
  const path = join(stateDir, SEQ_FILE);
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '0';
  const last = /^[0-9]{1,15}$/.test(text) ? Number(text) : 0;
  const seq = last + 1;
  writeFileAtomic(path, `${seq}\n`, 0o600);
  return seq;
}

/** SSH_CLIENT is "addr port localport"; keep it only if it looks like that. */
export function sshClientFromEnv(env: NodeJS.ProcessEnv): string | null {
  const v = env.SSH_CLIENT;
  return v && /^[0-9A-Fa-f:.]{2,45} [0-9]{1,5} [0-9]{1,5}$/.test(v) ? v : null;
}

export function appendAudit(
  stateDir: string,
  auditLog: string,
  draft: AuditDraft,
  now = new Date(),
): AuditEntry {
  const entry: AuditEntry = { seq: nextSeq(stateDir), ts: now.toISOString(), ...draft };
  const line = `${JSON.stringify(entry)}\n`;
  appendFileSync(auditLog, line, { mode: 0o600 });
  chmodSync(auditLog, 0o600);
  forwardToSyslog(line.trim());
  return entry;
}

/** Best effort copy to syslog (and from there to the SIEM); never blocks or fails the request. */
function forwardToSyslog(line: string): void {
  if (!existsSync(LOGGER)) return;
  try {
    const child = spawn(LOGGER, ['-t', 'viworks-gw', '--', line], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // syslog is a copy; the file above is the record
  }
}
