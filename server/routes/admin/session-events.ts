// GET /admin/sessions/events — Server-Sent Events for the admin panel's live Sessions page
// (core/api/admin-session-events.ts):
//   event: session   the session's list row whenever it starts, is first heard from, or ends
//   `: keepalive`    a comment every 15 s so proxies keep the connection open
// The guard checked the admin session and `sessions:read` once; the stream then re-checks that the
// session is still alive every ADMIN_STREAM_CHECK_MS without sliding its idle deadline (an open page
// must not keep an idle administrator logged in), and ends at the session's absolute expiry, so a
// logout, an idle timeout, a lock or a credential change ends the stream too.
// At most ADMIN_STREAMS_PER_ADMIN streams per administrator and ADMIN_STREAMS_PER_INSTANCE in all
// are open on an instance; one more answers 429 VIW_E_TOO_MANY_STREAMS before anything is
// subscribed. A reader that stops reading is cut off once MAX_BUFFERED_BYTES wait for it. The feed
// is subscribed BEFORE the headers go out, so a client that lists sessions once they arrived misses
// no change. Streams end when the server closes, so shutdown never waits on them.
import type { ServerResponse } from 'node:http';
import type { SessionViewT } from '../../../core/api/admin.js';
import {
  ADMIN_SESSION_EVENT,
  ADMIN_STREAM_KEEPALIVE_S,
  ADMIN_STREAMS_PER_ADMIN,
} from '../../../core/api/admin-session-events.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { KeyedGauge } from '../../http/edge-limits.js';
import { adminSessionAlive } from '../../services/admin/auth.js';
import { AdminSessionFeed } from '../../services/admin/session-feed.js';
import { VERSION } from '../../version.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const ADMIN_STREAM_CHECK_MS = 5_000;
export const ADMIN_STREAMS_PER_INSTANCE = 256;
const MAX_BUFFERED_BYTES = 1024 * 1024;

const frame = (row: SessionViewT) => `event: ${ADMIN_SESSION_EVENT}\ndata: ${JSON.stringify(row)}\n\n`;

export const adminSessionEventRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const feed = new AdminSessionFeed({
    db: ctx.db,
    events: ctx.events,
    onError: (err) => app.log.error({ err }, 'admin session feed: reading a session failed'),
  });
  const open = new Set<() => void>();
  const perAdmin = new KeyedGauge(ADMIN_STREAMS_PER_ADMIN);
  const all = new KeyedGauge(ADMIN_STREAMS_PER_INSTANCE);
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  routes.handle(app, 'adminSessionsEvents', async (request, reply) => {
    const { token, claims, user } = adminSessionOf(request);
    if (!all.acquire('all')) throw new ViworksError('VIW_E_TOO_MANY_STREAMS');
    if (!perAdmin.acquire(user.id)) {
      all.release('all');
      throw new ViworksError('VIW_E_TOO_MANY_STREAMS');
    }
    const res: ServerResponse = reply.raw;
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const write = (text: string) => {
      if (closed) return;
      res.write(text);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        close();
        res.destroy(); // nothing it left unread is worth flushing
      }
    };
    const unwatch = feed.watch((row) => write(frame(row)));
    const close = () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      unwatch();
      perAdmin.release(user.id);
      all.release('all');
      open.delete(close);
      res.end();
    };
    open.add(close);

    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-trace-id': request.id,
      'viworks-version': VERSION,
    });
    res.on('close', close);
    if (res.destroyed) return close(); // the caller hung up before the headers went out
    write(': subscribed\n\n');
    timers.push(setInterval(() => write(': keepalive\n\n'), ADMIN_STREAM_KEEPALIVE_S * 1000));
    timers.push(setTimeout(close, Math.max(0, claims.expiresAt - ctx.now().getTime())));
    let checking = false;
    const check = async () => {
      if (checking || closed) return;
      checking = true;
      try {
        if (!(await adminSessionAlive(ctx, token))) close();
      } catch (err) {
        request.log.error({ err }, 'admin session stream: session check failed');
      } finally {
        checking = false;
      }
    };
    timers.push(setInterval(() => void check(), ADMIN_STREAM_CHECK_MS));
  });
};
