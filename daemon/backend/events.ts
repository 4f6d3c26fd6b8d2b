// Parses GET /client/events (Server-Sent Events): `event: state` first, `event: revoked` when the
// session ends (the server then closes the stream), `: keepalive` comments in between. Each data
// line is validated against core/api/client.ts; anything else is ignored, an oversized event is an
// error (bounded buffer).
import type { IncomingMessage } from 'node:http';
import {
  type RevokedEvent,
  RevokedEventSchema,
  type SessionState,
  SessionStateSchema,
} from '../../core/api/client.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { strictValidator } from '../../core/schema/strict.js';

export type SessionEventMessage =
  | { readonly type: 'state'; readonly state: SessionState }
  | { readonly type: 'revoked'; readonly revoked: RevokedEvent };

const MAX_EVENT_CHARS = 64 * 1024;
const stateV = strictValidator(SessionStateSchema);
const revokedV = strictValidator(RevokedEventSchema);

export async function* readSessionEvents(res: IncomingMessage): AsyncGenerator<SessionEventMessage> {
  res.setEncoding('utf8');
  let buffer = '';
  for await (const chunk of res) {
    buffer += chunk as string;
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const message = parseBlock(buffer.slice(0, at));
      buffer = buffer.slice(at + 2);
      if (message) yield message;
      at = buffer.indexOf('\n\n');
    }
    if (buffer.length > MAX_EVENT_CHARS) {
      res.destroy();
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
  if (event === 'state' && stateV.check(value)) return { type: 'state', state: value };
  if (event === 'revoked' && revokedV.check(value)) return { type: 'revoked', revoked: value };
  return null;
}
