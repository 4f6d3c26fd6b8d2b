// Test helper: reads GET /client/events as a desktop would, over the pinned HTTPS connection, and
// hands out one parsed Server-Sent Event at a time.
import { request } from 'node:https';
import { matchPin, spkiPinFromCertificate } from '../../core/crypto/pins.js';
import type { TestServer } from './harness.js';

export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/** A minimal SSE reader over the pinned HTTPS connection the harness uses. */
export function openEvents(server: TestServer, sid: string, token: string) {
  const queue: SseMessage[] = [];
  const waiters: Array<(m: SseMessage) => void> = [];
  let buffer = '';
  let status = 0;
  let resolveClosed: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const push = (m: SseMessage) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  const req = request(
    {
      host: '127.0.0.1',
      servername: 'localhost',
      port: server.server.port,
      path: `/client/events?session_id=${sid}`,
      ca: server.ca,
      minVersion: 'TLSv1.3',
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      checkServerIdentity: (_h, cert) => {
        matchPin(spkiPinFromCertificate(cert.raw), server.server.banner.backend_pins);
        return undefined;
      },
    },
    (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at = buffer.indexOf('\n\n');
        while (at >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event && data !== undefined) push({ event, data });
          at = buffer.indexOf('\n\n');
        }
      });
      res.on('end', () => resolveClosed());
    },
  );
  req.end();
  return {
    status: () => status,
    closed,
    /** Hangs up, as a desktop does when it stops reading. */
    close: () => req.destroy(),
    next: () =>
      new Promise<SseMessage>((resolve, reject) => {
        const m = queue.shift();
        if (m) return resolve(m);
        const timer = setTimeout(() => reject(new Error('no SSE message within 5 s')), 5000);
        waiters.push((msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
      }),
  };
}
