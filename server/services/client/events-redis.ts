// Carries session events between backend instances over a Redis channel, so a revocation made on
// instance A reaches the client whose event stream is held by instance B, and every event reaches
// the administrators watching sessions on any instance (GET /admin/sessions/events).
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { RedisKv } from '../../kv/redis-kv.js';
import type { SessionEventBus } from './events.js';

const CHANNEL = 'viworks:session-events';

const SessionId = Type.String({ maxLength: 80 });
const At = Type.String({ maxLength: 40 });
// An instance of an older version drops the change messages (its check fails), never a `revoked`.
const Message = strictValidator(
  Type.Object(
    {
      origin: Type.String({ maxLength: 64 }),
      event: Type.Union([
        Type.Object(
          {
            type: Type.Literal('revoked'),
            sessionId: SessionId,
            reason: Type.String({ maxLength: 64 }),
            at: At,
          },
          closed,
        ),
        Type.Object({ type: Type.Enum(['started', 'heard']), sessionId: SessionId, at: At }, closed),
      ]),
    },
    closed,
  ),
);

/** Starts relaying; returns a stop function. */
export async function relaySessionEventsViaRedis(
  bus: SessionEventBus,
  kv: RedisKv,
): Promise<() => Promise<void>> {
  const origin = randomUUID();
  const publisher = kv.duplicateClient();
  const subscriber = kv.duplicateClient();
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  await publisher.connect();
  await subscriber.connect();
  await subscriber.subscribe(CHANNEL, (raw) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    if (!Message.check(parsed) || parsed.origin === origin) return;
    bus.deliver(parsed.event);
  });
  bus.setRelay((event) => {
    void publisher.publish(CHANNEL, JSON.stringify({ origin, event })).catch(() => undefined);
  });
  return async () => {
    bus.setRelay(null);
    await subscriber.unsubscribe(CHANNEL).catch(() => undefined);
    await Promise.all([subscriber.quit(), publisher.quit()]).catch(() => undefined);
  };
}
