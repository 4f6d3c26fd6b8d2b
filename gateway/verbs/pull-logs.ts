// pull_logs <source> <max_lines> [<after>]: the tail of one service log; audit lines after a
// sequence number (for the backend to forward to the SIEM without gaps); or a daemon's log — or the
// front door's hello log (gateway/front-door/) — forward from a cursor
// (core/gateway/dataplane/cursor.ts), which the backend turns into data-plane audit events. Bounded
// to 5000 lines and 1 MiB per answer; only the end of a large file is read for a tail.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { LogSource } from '../../core/gateway/control.js';
import {
  type DataplanePullResult,
  END_CURSOR,
  formatCursor,
  parseCursor,
} from '../../core/gateway/dataplane/cursor.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { frontDoorHelloLog } from '../front-door/paths.js';
import type { NodeConfig } from '../node-config.js';
import { fwknopdLog } from '../services/service-paths.js';
import { cursorAtEnd, readAt, readForward } from './log-cursor.js';
import { stanzaContext } from './spa-stanzas.js';

export const MAX_REPLY_BYTES = 1024 * 1024;
export const MAX_LINES = 5000;
/** How much of the audit log end is scanned for `after_seq` (older lines are the SIEM's job). */
const AUDIT_SCAN_BYTES = 32 * 1024 * 1024;

function logPath(config: NodeConfig, source: LogSource): string {
  switch (source) {
    case 'audit':
      return config.audit_log;
    case 'openvpn':
      return config.facts.paths.openvpnLog;
    case 'stunnel':
      return config.facts.paths.stunnelLog;
    case 'fwknopd':
      return fwknopdLog(config);
    case 'hello':
      return frontDoorHelloLog(config);
  }
}

/** Complete lines from the last `maxBytes` of the file ([] when it does not exist). */
export function tailLines(path: string, maxBytes: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const lines = readAt(fd, start, size - start)
      .toString('utf8')
      .split('\n');
    if (start > 0) lines.shift(); // cut in the middle of a line
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** Drops the oldest lines until the answer fits MAX_REPLY_BYTES. */
function fitBytes(lines: string[]): string[] {
  let total = 0;
  let i = lines.length;
  while (i > 0) {
    const next = Buffer.byteLength(lines[i - 1] ?? '') + 4;
    if (total + next > MAX_REPLY_BYTES) break;
    total += next;
    i--;
  }
  return lines.slice(i);
}

const seqOf = (line: string): number => {
  const m = /^\{"seq":([0-9]{1,15}),/.exec(line);
  return m ? Number(m[1]) : -1;
};

const invalid = (message: string) =>
  new ViworksError('VIW_E_VALIDATION', { message: `invalid request: ${message}` });

/** A daemon's log from a cursor (or from its end, for `end`). */
function pullForward(config: NodeConfig, src: Exclude<LogSource, 'audit'>, maxLines: number, after: string) {
  const path = logPath(config, src);
  if (after === END_CURSOR) {
    const next = cursorAtEnd(path);
    const result: DataplanePullResult = {
      lines: [],
      next_seq: null,
      next_cursor: formatCursor(next),
      restarted: false,
      eof: true,
    };
    return result;
  }
  const cursor = parseCursor(after);
  if (!cursor) throw invalid('not a log cursor');
  const read = readForward(path, cursor, maxLines, MAX_REPLY_BYTES);
  const result: DataplanePullResult = {
    lines: read.lines,
    next_seq: null,
    next_cursor: formatCursor(read.next),
    restarted: read.restarted,
    eof: read.eof,
  };
  if (src === 'fwknopd' && read.live) {
    const stanzas = stanzaContext(read.lines, path, read.next.offset, config.facts.paths.accessConf);
    if (stanzas) result.stanzas = stanzas;
  }
  return result;
}

export async function pullLogs(ctx: VerbContext): Promise<VerbOutcome> {
  const [source = 'audit', maxText = '1', afterText] = ctx.args;
  const maxLines = Number(maxText);
  const src = source as LogSource;
  // The contract's grammar admits 1..9999 (see the report); the documented bound is 5000.
  if (maxLines > MAX_LINES) throw invalid(`max_lines above ${MAX_LINES}`);
  if (afterText !== undefined && src !== 'audit') {
    if (/^[0-9]+$/.test(afterText)) throw invalid('after_seq is for the audit source only');
    return { changed: false, result: pullForward(ctx.config, src, maxLines, afterText) };
  }
  if (afterText !== undefined && !/^[0-9]+$/.test(afterText))
    throw invalid('a log cursor is not for the audit source');
  if (src !== 'audit') {
    const lines = fitBytes(tailLines(logPath(ctx.config, src), MAX_REPLY_BYTES).slice(-maxLines));
    return { changed: false, result: { lines, next_seq: null } };
  }
  const all = tailLines(ctx.config.audit_log, AUDIT_SCAN_BYTES);
  // With after_seq the backend pages forward (oldest first); without, it wants the latest lines.
  const picked =
    afterText === undefined
      ? all.slice(-maxLines)
      : all.filter((l) => seqOf(l) > Number(afterText)).slice(0, maxLines);
  let lines = picked;
  if (afterText === undefined) lines = fitBytes(picked);
  else while (Buffer.byteLength(lines.join('\n')) > MAX_REPLY_BYTES) lines = lines.slice(0, -1);
  const last = lines.length > 0 ? seqOf(lines.at(-1) ?? '') : -1;
  const nextSeq = last >= 0 ? last : Number(afterText ?? 0);
  return { changed: false, result: { lines, next_seq: nextSeq } };
}
