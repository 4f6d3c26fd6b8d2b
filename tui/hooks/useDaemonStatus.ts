// The daemon's state as the TUI sees it, pushed by the watch stream (full Status first, then every
// change; never polled). When the daemon cannot be reached, or its stream ends, the view says so
// and the stream is opened again after `retryMs` (a reconnect, not a poll: nothing is read while
// the stream is open).
import { useEffect, useState } from 'react';
import type { Status } from '../../core/localclient/index.js';
import type { TuiClient } from '../client.js';
import { type ShownError, shownError } from '../errors.js';

export type DaemonView =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'unavailable'; readonly error: ShownError }
  | { readonly kind: 'status'; readonly status: Status };

const STOPPED: ShownError = {
  code: 'VIW_E_DAEMON_UNAVAILABLE',
  message: 'The ViWorkS daemon stopped',
  hint: 'Start it with `sudo systemctl start viworksd`.',
};

export function useDaemonStatus(client: Pick<TuiClient, 'watch'>, retryMs = 2000): DaemonView {
  const [view, setView] = useState<DaemonView>({ kind: 'connecting' });
  useEffect(() => {
    const stop = new AbortController();
    const loop = async () => {
      while (!stop.signal.aborted) {
        let error = STOPPED;
        try {
          for await (const status of client.watch({ signal: stop.signal }))
            setView({ kind: 'status', status });
        } catch (err) {
          error = shownError(err);
        }
        if (stop.signal.aborted) return;
        setView({ kind: 'unavailable', error });
        await new Promise((r) => setTimeout(r, retryMs));
      }
    };
    void loop();
    return () => stop.abort();
  }, [client, retryMs]);
  return view;
}
