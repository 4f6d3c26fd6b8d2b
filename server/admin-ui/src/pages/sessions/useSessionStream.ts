// The Sessions page's live feed: GET /admin/sessions/events through AdminClient.watchSessions().
// A background call (it must not keep an unattended panel signed in); when the stream drops it
// reconnects after a growing wait, and each time it is (re)subscribed `onSubscribed` runs so the
// page lists again — the server subscribes before answering, so a list read after that misses no
// change. Unmounting the page (or signing out, which unmounts it) closes the stream.
import { useEffect, useRef, useState } from 'react';
import type { SessionViewT } from '../../../../../core/api/admin.js';
import type { AdminSessionWatch } from '../../../../../core/backendclient/admin-session-events.js';
import { endsSession } from '../../api.js';
import { usePanel } from '../../context.js';
import { retryDelayMs } from './backoff.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export function useSessionStream(handlers: {
  readonly onRow: (row: SessionViewT) => void;
  readonly onSubscribed: () => void;
}): StreamState {
  const { background } = usePanel();
  const [state, setState] = useState<StreamState>('connecting');
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    const abort = new AbortController();
    let watch: AdminSessionWatch | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;

    const connect = async () => {
      try {
        watch = await background((c) => c.watchSessions({ signal: abort.signal }));
        if (abort.signal.aborted) return watch.close();
        failures = 0;
        setState('live');
        handlersRef.current.onSubscribed();
        for await (const row of watch) handlersRef.current.onRow(row);
      } catch (err) {
        // A session the backend ended signs the panel out (background() did): no retry then.
        if (endsSession(err)) return;
      } finally {
        watch?.close();
        watch = null;
      }
      if (abort.signal.aborted) return;
      failures += 1;
      setState('reconnecting');
      timer = setTimeout(connect, retryDelayMs(failures));
    };
    connect();
    return () => {
      abort.abort();
      clearTimeout(timer);
      watch?.close();
    };
  }, [background]);
  return state;
}
