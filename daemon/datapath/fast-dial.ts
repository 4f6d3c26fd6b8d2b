// TCP connect with SYN retries much faster than the kernel's. Right after an SPA knock, the first SYN
// to the gateway often races fwknopd's rule insertion and is dropped (the gateway is dark: DROP, no
// RST); the kernel would resend it only after its 1 s initial RTO, which made every connect ~1 s
// slower than it needs to be. So a new attempt, on its own socket, starts at 0, 100, 200, 400, 800 ms…
// until the deadline; the first to connect wins and every other attempt is destroyed before it can
// send anything but its SYN.
//
// An attempt may be a TLS socket (`connect`: the proxy passes tls.connect, so that the winner is the
// TLSSocket itself and can read into a reused buffer, which Node allows only for a socket tls.connect
// dialed: tls-proxy-carry.ts). Its ClientHello goes out in its own 'connect' handler, so only the
// winner's does: the others are destroyed in the winner's 'connect', before theirs can run.
import { connect, type Socket } from 'node:net';

export const FAST_DIAL_STEPS_MS: readonly number[] = [0, 100, 200, 400, 800, 1600, 3200, 6400];

export interface FastDialOptions<S extends Socket = Socket> {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Attempt start times (ms after the call); tests shorten them. */
  readonly stepsMs?: readonly number[];
  /** Starts one attempt's socket (default: net.connect to host:port). */
  readonly connect?: () => S;
}

export function fastDial<S extends Socket = Socket>(o: FastDialOptions<S>): Promise<S> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<S>();
    const onError = new Map<S, (err: Error) => void>();
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    let lastError: unknown;
    let pendingStarts = 0;
    const finish = (winner: S | null, err?: unknown) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) if (s !== winner) s.destroy();
      // The winner is the caller's now, errors included.
      const winnerOnError = winner && onError.get(winner);
      if (winnerOnError) winner.removeListener('error', winnerOnError);
      o.signal?.removeEventListener('abort', onAbort);
      if (winner) resolve(winner);
      else reject(err ?? lastError ?? new Error('connect failed'));
    };
    const onAbort = () => finish(null, o.signal?.reason ?? new Error('aborted'));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const attempt = () => {
      pendingStarts--;
      if (settled) return;
      // Without `connect`, S is Socket (the default type argument).
      const s = o.connect ? o.connect() : (connect({ host: o.host, port: o.port }) as S);
      sockets.add(s);
      s.once('connect', () => finish(s));
      const failed = (err: Error) => {
        lastError = err;
        sockets.delete(s);
        s.destroy();
        // An active refusal will not change by waiting; silence (a dropped SYN) might.
        if (sockets.size === 0 && pendingStarts === 0) finish(null, err);
      };
      onError.set(s, failed);
      s.once('error', failed);
    };
    for (const at of (o.stepsMs ?? FAST_DIAL_STEPS_MS).filter((ms) => ms < o.timeoutMs)) {
      pendingStarts++;
      // Not unref'd: a pending dial is work the caller awaits, and every timer is cleared on finish.
      timers.push(setTimeout(attempt, at));
    }
    const deadline = setTimeout(() => {
      const err = Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' });
      finish(null, err);
    }, o.timeoutMs);
    timers.push(deadline);
  });
}
