// fwknopd logs `stanza #N`, never the device: this names the stanzas a pulled page of its log needs
// (core/gateway/dataplane/fwknopd.ts stanzasToName) from the access.conf on disk. That file is what
// fwknopd read at its last "Starting fwknopd main event loop" line: viworks-gw writes it and reloads
// fwknopd under the node lock (spa_key_add/remove, apply_config), and pull_logs holds the same lock.
// So the names hold for the lines after the last such line, if no later one follows in the file;
// for older lines they are left out (the events then carry no fwknop_id rather than a wrong one).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { DEVICE_WIRE_ID } from '../../core/gateway/control.js';
import type { DataplanePullResult } from '../../core/gateway/dataplane/cursor.js';
import { FWKNOPD_READY_RE, stanzasToName } from '../../core/gateway/dataplane/fwknopd.js';

/** How far past the page the log is searched for a later reload (beyond it: names unknown). */
const SCAN_BYTES = 8 * 1024 * 1024;
const READY_TEXT = Buffer.from('\nStarting fwknopd main event loop');
const DEVICE_RE = new RegExp(DEVICE_WIRE_ID);

/** Each stanza's REQUIRE_USERNAME in file order (null for a stanza without a device name). */
export function stanzaUsers(accessConf: string): (string | null)[] {
  const users: (string | null)[] = [];
  for (const raw of accessConf.split('\n')) {
    const line = raw.trim();
    if (/^SOURCE\s/.test(line)) users.push(null);
    const m = /^REQUIRE_USERNAME\s+(\S+)$/.exec(line);
    if (m && users.length > 0 && DEVICE_RE.test(m[1] ?? '')) users[users.length - 1] = m[1] ?? null;
  }
  return users;
}

/** True when fwknopd reloaded somewhere in the file after `offset` (or it cannot tell). */
function reloadedAfter(logPath: string, offset: number): boolean {
  let fd: number;
  try {
    fd = openSync(logPath, 'r');
  } catch {
    return true;
  }
  try {
    // One byte back, so a marker right at `offset` is found by its preceding newline.
    const from = Math.max(0, offset - 1);
    const buf = Buffer.alloc(SCAN_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, from);
    if (n > SCAN_BYTES) return true;
    const seen = offset === 0 ? Buffer.concat([Buffer.from('\n'), buf.subarray(0, n)]) : buf.subarray(0, n);
    return seen.includes(READY_TEXT);
  } finally {
    closeSync(fd);
  }
}

/**
 * The stanza names for a page of fwknopd's log whose lines end at `nextOffset` of the live file;
 * undefined when none of its lines ran under the access.conf on disk now.
 */
export function stanzaContext(
  lines: readonly string[],
  logPath: string,
  nextOffset: number,
  accessConfPath: string,
): DataplanePullResult['stanzas'] {
  let fromLine = 0;
  lines.forEach((line, i) => {
    if (FWKNOPD_READY_RE.test(line)) fromLine = i + 1;
  });
  if (reloadedAfter(logPath, nextOffset)) return undefined;
  let users: (string | null)[];
  try {
    users = stanzaUsers(readFileSync(accessConfPath, 'utf8'));
  } catch {
    return undefined;
  }
  const named: Record<string, string> = {};
  for (const n of stanzasToName(lines.slice(fromLine))) {
    const user = users[n - 1];
    if (user) named[String(n)] = user;
  }
  return { from_line: fromLine, count: users.length, users: named };
}
