// The forward cursor of `pull_logs <fwknopd|stunnel|openvpn> <max_lines> <cursor>` (the data-plane
// logs the backend turns into audit events, docs/detections.md#data-plane-events) and the reply's
// shape. A cursor names one file and a byte offset in it: `<inode>:<first-line hash>:<offset>`.
// The inode tells a rotated file from the one that replaced it; the hash of the first line (16 hex
// of SHA-256 over at most its first 256 bytes) tells a truncated-and-rewritten file from the one the
// offset was counted in. `end` asks for a cursor at the end of the file's complete lines and no
// lines: how the backend starts on a gateway without replaying the logs it had before.
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../../schema/strict.js';

/** A cursor as it travels on the command line (≤ 53 characters). */
export const LOG_CURSOR = '^[0-9]{1,20}:[0-9a-f]{16}:[0-9]{1,15}$';
/** The cursor that asks for the current end of the file. */
export const END_CURSOR = 'end';
/** A file that does not exist yet (inode 0): its first line, when it appears, is read. */
export const NO_FILE_CURSOR = '0:0000000000000000:0';
/** Bytes of the first line the file identity hashes. */
export const FIRST_LINE_HASH_BYTES = 256;

export interface LogCursor {
  readonly inode: string;
  readonly head: string;
  readonly offset: number;
}

const CURSOR_RE = new RegExp(LOG_CURSOR);

export function formatCursor(c: LogCursor): string {
  return `${c.inode}:${c.head}:${c.offset}`;
}

/** The cursor in `text`, or null when it is not exactly one (`end` is not a cursor). */
export function parseCursor(text: string): LogCursor | null {
  if (!CURSOR_RE.test(text)) return null;
  const [inode = '', head = '', offset = ''] = text.split(':');
  const n = Number(offset);
  if (!Number.isSafeInteger(n)) return null;
  return { inode: inode.replace(/^0+(?=[0-9])/, ''), head, offset: n };
}

/**
 * The node's answer to a data-plane pull with a cursor (`next_seq` stays null, as for the tail).
 * `restarted`: the file is not the one the cursor named (rotated, truncated, replaced), so the lines
 * start at its beginning. `eof`: the lines reach the end of the file's complete lines.
 */
export const DataplanePullResult = Type.Object(
  {
    lines: Type.Array(Type.String({ maxLength: 64 * 1024 }), { maxItems: 5000 }),
    next_seq: Type.Null(),
    next_cursor: Type.String({ maxLength: 64, pattern: LOG_CURSOR }),
    restarted: Type.Boolean(),
    eof: Type.Boolean(),
    /**
     * fwknopd only: which device each named access.conf stanza belongs to, for the lines from
     * `from_line` on (the ones fwknopd read with the access.conf on disk now; lines before a later
     * reload are left out). `count` is the number of stanzas; `users` maps only the stanza numbers the
     * lines name for a packet that authenticated (fwknopd logs `stanza #N`, never the username).
     */
    stanzas: Type.Optional(
      Type.Object(
        {
          from_line: Type.Integer({ minimum: 0, maximum: 5000 }),
          count: Type.Integer({ minimum: 0, maximum: 100_000 }),
          users: Type.Record(
            Type.String({ pattern: '^[1-9][0-9]{0,4}$' }),
            Type.String({ pattern: '^d-[0-9a-f]{32}$' }),
            { maxProperties: 5000 },
          ),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type DataplanePullResult = Static<typeof DataplanePullResult>;
export const dataplanePullResult = strictValidator(DataplanePullResult);
