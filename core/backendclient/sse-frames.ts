// Server-Sent Events framing (the WHATWG EventSource format, as the backend writes it): events are
// blocks separated by a blank line; `event:` names one, `data:` lines carry its data (joined by
// newlines); lines starting with `:` are comments (keep-alives) and are skipped. An event larger
// than the bound is an error and closes the stream, so a broken or hostile server cannot make the
// reader buffer without limit.
import { ViworksError } from '../errors/viworks-error.js';
import type { OpenStream } from './transport.js';

export interface SseFrame {
  /** `message` when the block named none (the EventSource default). */
  readonly event: string;
  readonly data: string;
}

export const MAX_SSE_EVENT_CHARS = 64 * 1024;

export async function* readSseFrames(
  stream: OpenStream,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  // A CR at a chunk's end may be the first half of a CRLF: it is decided with the next chunk.
  let carry = '';
  for await (const chunk of stream.chunks) {
    let text = carry + decoder.decode(chunk, { stream: true });
    carry = text.endsWith('\r') ? '\r' : '';
    if (carry) text = text.slice(0, -1);
    buffer += text.replace(/\r\n?/g, '\n');
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const frame = parseBlock(buffer.slice(0, at));
      buffer = buffer.slice(at + 2);
      if (frame) yield frame;
      at = buffer.indexOf('\n\n');
    }
    if (buffer.length > maxEventChars) {
      stream.close();
      throw new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['event stream: event too large'] });
    }
  }
}

function parseBlock(block: string): SseFrame | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { event, data: data.join('\n') };
}
