// Parses GET /client/events (Server-Sent Events): `event: state` first, `event: revoked` when the
// session ends (the server then closes the stream), `: keepalive` comments in between. Each data
// line is validated against core/api/client.ts; anything else is ignored, and an event larger than
// the buffer bound is an error (the stream is closed).
import {
  type RevokedEvent,
  RevokedEventSchema,
  type SessionState,
  SessionStateSchema,
} from '../api/client.js';
import { ViworksError } from '../errors/viworks-error.js';
import { cachedValidator } from '../schema/strict.js';
import type { OpenStream } from './transport.js';

export type SessionEventMessage =
  | { readonly type: 'state'; readonly state: SessionState }
  | { readonly type: 'revoked'; readonly revoked: RevokedEvent };

const MAX_EVENT_CHARS = 64 * 1024;

export async function* readSessionEvents(stream: OpenStream): AsyncGenerator<SessionEventMessage> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  for await (const chunk of stream.chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const message = parseBlock(buffer.slice(0, at));
      buffer = buffer.slice(at + 2);
      if (message) yield message;
      at = buffer.indexOf('\n\n');
    }
    if (buffer.length > MAX_EVENT_CHARS) {
      stream.close();
      throw new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['event stream: event too large'] });
    }
  }
}

function parseBlock(block: string): SessionEventMessage | null {
  let event = '';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (!event || !data) return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (event === 'state' && cachedValidator(SessionStateSchema).check(value))
    return { type: 'state', state: value };
  if (event === 'revoked' && cachedValidator(RevokedEventSchema).check(value)) {
    return { type: 'revoked', revoked: value };
  }
  return null;
}
