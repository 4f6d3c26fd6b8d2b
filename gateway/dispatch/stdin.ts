// The stdin document of verbs that carry secrets or bulk data. Bounded in size (a peer cannot make
// us buffer without limit) and in time (a peer that never closes stdin cannot hold a request open),
// decoded as strict UTF-8 and JSON, then checked against the verb's closed schema. The raw bytes may
// hold keys: they are wiped once parsed.
import type { Readable } from 'node:stream';
import { wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { MAX_STDIN_BYTES } from '../../core/gateway/control.js';

export const STDIN_TIMEOUT_MS = 15_000;

const invalid = (message: string) => new ViworksError('VIW_E_VALIDATION', { message });

/** Reads the whole stream; rejects past `maxBytes` or `timeoutMs` (both VIW_E_VALIDATION). */
export function readBounded(
  stream: Readable,
  maxBytes = MAX_STDIN_BYTES,
  timeoutMs = STDIN_TIMEOUT_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | undefined, value?: Buffer) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (err) {
        wipe(...chunks);
        reject(err);
      } else resolve(value ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > maxBytes) finish(invalid('invalid request: stdin document too large'));
    };
    const onEnd = () => {
      const all = Buffer.concat(chunks, size);
      wipe(...chunks);
      finish(undefined, all);
    };
    const onError = () => finish(invalid('invalid request: stdin could not be read'));
    const timer = setTimeout(() => finish(invalid('invalid request: stdin not closed in time')), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

/** Strict UTF-8 → JSON; the buffer is wiped whatever happens. */
export function parseJsonDocument(bytes: Buffer): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return JSON.parse(text);
  } catch {
    throw invalid('invalid request: stdin is not a UTF-8 JSON document');
  } finally {
    wipe(bytes);
  }
}
