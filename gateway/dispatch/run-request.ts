// One control request, start to finish: parse the command line, read and validate stdin (before
// taking the lock, so a slow sender cannot block the node), then under the node lock prune expired
// sessions, run the verb, and write the audit line; finally one GatewayReply. Whatever happens —
// invalid request, failed verb, unexpected exception — the caller gets exactly one reply and one
// exit status, and the audit log gets exactly one line.
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { isViworksError, ViworksError } from '../../core/errors/viworks-error.js';
import {
  CONTROL_PROTOCOL_VERSION,
  CONTROL_VERBS,
  type ControlVerb,
  type GatewayReply,
  GW_EXIT,
  gatewayReply,
} from '../../core/gateway/control.js';
import type { NodeConfig } from '../node-config.js';
import { appendAudit, sshClientFromEnv } from '../state/audit-log.js';
import { acquireNodeLock, type NodeLock } from '../state/node-lock.js';
import { pruneExpiredSessions } from '../verbs/sessions.js';
import { parseRequestLine } from './grammar.js';
import { VERB_HANDLERS } from './handlers.js';
import { parseJsonDocument, readBounded } from './stdin.js';
import type { VerbOutcome } from './verb.js';

export const LOCK_TIMEOUT_MS = 120_000;
const MAX_MESSAGE = 256;

export interface RequestIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  readonly now?: () => Date;
  /** Where a non-secret diagnostic of unexpected failures goes (stderr in the binary). */
  readonly diagnose?: (text: string) => void;
}

export interface RequestResult {
  readonly reply: GatewayReply;
  readonly exitCode: number;
}

const INVALID_CODES: readonly ErrorCode[] = ['VIW_E_FORBIDDEN', 'VIW_E_VALIDATION'];

function errorReply(cmd: string, code: ErrorCode, message: string): RequestResult {
  const reply: GatewayReply = {
    v: CONTROL_PROTOCOL_VERSION,
    ok: false,
    cmd,
    error: { code, message: message.slice(0, MAX_MESSAGE) },
  };
  return { reply, exitCode: INVALID_CODES.includes(code) ? GW_EXIT.invalid : GW_EXIT.failed };
}

function okReply(cmd: ControlVerb, outcome: VerbOutcome): RequestResult {
  const reply: GatewayReply = {
    v: CONTROL_PROTOCOL_VERSION,
    ok: true,
    cmd,
    changed: outcome.changed,
    ...(outcome.result ? { result: outcome.result } : {}),
  };
  return { reply: gatewayReply.parse(reply, 'VIW_E_INTERNAL'), exitCode: GW_EXIT.ok };
}

/** Escaped, shortened copy of a refused command line for the audit trail. */
const attemptOf = (line: string | undefined): string =>
  line === undefined ? '(shell)' : JSON.stringify(line).slice(1, -1).slice(0, 160);

/** The verb's stdin document, validated; undefined for verbs without one. */
async function readInput(verb: ControlVerb, io: RequestIo): Promise<unknown> {
  const entry = VERB_HANDLERS[verb];
  if (!CONTROL_VERBS[verb].stdin || !entry.input) return undefined;
  const doc = parseJsonDocument(await readBounded(io.stdin));
  if (entry.input.check(doc)) return doc;
  throw new ViworksError('VIW_E_VALIDATION', { message: 'invalid request: stdin does not match its schema' });
}

function failure(cmd: string, err: unknown, io: RequestIo): RequestResult {
  if (isViworksError(err)) return errorReply(cmd, err.code, err.message);
  io.diagnose?.(`internal error in ${cmd}: ${err instanceof Error ? err.message : String(err)}`);
  return errorReply(cmd, 'VIW_E_INTERNAL', 'internal error; see the gateway log');
}

async function execute(
  config: NodeConfig,
  verb: ControlVerb,
  args: readonly string[],
  input: unknown,
  io: RequestIo,
): Promise<RequestResult> {
  const now = io.now ?? (() => new Date());
  try {
    // The gateway enforces session expiry itself, on every request, whatever the verb.
    await pruneExpiredSessions(config, now()).catch((err) => io.diagnose?.(`prune failed: ${String(err)}`));
    return okReply(verb, await VERB_HANDLERS[verb].handler({ config, args, input, now }));
  } catch (err) {
    return failure(verb, err, io);
  }
}

export async function handleRequest(config: NodeConfig, io: RequestIo): Promise<RequestResult> {
  const started = Date.now();
  const line = io.env.SSH_ORIGINAL_COMMAND;
  const parsed = parseRequestLine(line);
  let result: RequestResult | undefined;
  let input: unknown;
  if (!parsed.ok) result = errorReply('invalid', parsed.code, parsed.reason);
  else {
    // Before the lock: a slow sender must not hold the node.
    try {
      input = await readInput(parsed.verb, io);
    } catch (err) {
      result = failure(parsed.verb, err, io);
    }
  }
  let lock: NodeLock | undefined;
  try {
    lock = await acquireNodeLock(config.state_dir, LOCK_TIMEOUT_MS);
  } catch (err) {
    // Still audited below (without the lock: a sequence race beats a missing line).
    result ??= failure(parsed.ok ? parsed.verb : 'invalid', err, io);
  }
  try {
    if (result === undefined && parsed.ok)
      result = await execute(config, parsed.verb, parsed.args, input, io);
    const final = result ?? errorReply('invalid', 'VIW_E_INTERNAL', 'internal error');
    appendAudit(config.state_dir, config.audit_log, {
      verb: parsed.ok ? parsed.verb : 'invalid',
      args: parsed.ok ? [...parsed.args] : [],
      rc: final.exitCode,
      duration_ms: Date.now() - started,
      ssh_client: sshClientFromEnv(io.env),
      error: final.reply.error?.code ?? null,
      ...(parsed.ok ? {} : { attempt: attemptOf(line) }),
    });
    return final;
  } finally {
    lock?.release();
  }
}
