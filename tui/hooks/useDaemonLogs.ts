// The daemon's log (never secrets: the daemon redacts before keeping a line), followed live: the
// last `keep` kept lines first, then each new one. Reopened after `retryMs` when the stream ends.
import { useEffect, useState } from 'react';
import type { LogLine } from '../../core/localclient/index.js';
import type { TuiClient } from '../client.js';

/** A kept line with its arrival number (a stable key for the pane). */
export interface NumberedLine {
  readonly seq: number;
  readonly line: LogLine;
}

export function useDaemonLogs(
  client: Pick<TuiClient, 'logs'>,
  enabled: boolean,
  keep = 200,
  retryMs = 2000,
): NumberedLine[] {
  const [lines, setLines] = useState<NumberedLine[]>([]);
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    const loop = async () => {
      while (!stop.signal.aborted) {
        const fresh: NumberedLine[] = [];
        let seq = 0;
        try {
          for await (const line of client.logs({ follow: true, lines: keep, signal: stop.signal })) {
            fresh.push({ seq: seq++, line });
            if (fresh.length > keep) fresh.shift();
            setLines([...fresh]);
          }
        } catch {
          // The status view reports an unreachable daemon; here the pane just keeps what it had.
        }
        if (stop.signal.aborted) return;
        await new Promise((r) => setTimeout(r, retryMs));
      }
    };
    void loop();
    return () => stop.abort();
  }, [client, enabled, keep, retryMs]);
  return lines;
}
