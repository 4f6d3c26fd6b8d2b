// Parses GET /admin/sessions/events (core/api/admin-session-events.ts): each `event: session` is a
// session's list row, checked against the contract; keep-alive comments, other event names and
// rows that do not match are skipped (a newer server may send more). `close()`, `return()` and
// leaving a for-await loop all close the stream — also before the first row was read (a plain
// async generator would skip its cleanup then, and leave the connection open).
import type { SessionViewT } from '../api/admin.js';
import { ADMIN_SESSION_EVENT, AdminSessionEventData } from '../api/admin-session-events.js';
import { cachedValidator } from '../schema/strict.js';
import { readSseFrames } from './sse-frames.js';
import type { OpenStream } from './transport.js';

export interface AdminSessionWatch extends AsyncIterableIterator<SessionViewT> {
  return(): Promise<IteratorResult<SessionViewT>>;
  /** Hangs up; a pending next() then reports the end. */
  close(): void;
}

export function readAdminSessionEvents(stream: OpenStream): AdminSessionWatch {
  let closed = false;
  const rows = (async function* (): AsyncGenerator<SessionViewT> {
    const valid = cachedValidator(AdminSessionEventData);
    try {
      for await (const frame of readSseFrames(stream)) {
        if (frame.event !== ADMIN_SESSION_EVENT) continue;
        let value: unknown;
        try {
          value = JSON.parse(frame.data);
        } catch {
          continue;
        }
        if (valid.check(value)) yield value;
      }
    } catch (err) {
      if (!closed) throw err; // our own hang-up is an end, not an error
    } finally {
      stream.close();
    }
  })();
  const watch: AdminSessionWatch = {
    next: () => rows.next(),
    return: async () => {
      watch.close();
      return rows.return(undefined);
    },
    close: () => {
      closed = true;
      stream.close();
    },
    [Symbol.asyncIterator]: () => watch,
  };
  return watch;
}
