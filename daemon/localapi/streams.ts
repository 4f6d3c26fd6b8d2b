// The two streaming routes, NDJSON (one JSON object per line):
//   GET /v1/watch         the full Status first, then the full Status after every change
//   GET /v1/logs[?follow=1][&lines=N]  kept log lines, then (follow) each new one
// Streams are bounded: a reader that stops reading is cut off rather than buffered without limit,
// at most MAX_OPEN_STREAMS are open at once (one more answers 429 VIW_E_TOO_MANY_STREAMS), and
// every open stream is ended when the daemon closes.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { versionHeaders } from './edge.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A CLI, a TUI and a GUI each hold a watch and maybe a log stream: ample, and still bounded. */
export const MAX_OPEN_STREAMS = 32;

export class StreamRegistry {
  private readonly open = new Set<() => void>();

  constructor(private readonly daemonVersion: string) {}

  /**
   * Takes over the reply and writes NDJSON. `start(write)` sends the first lines and returns an
   * unsubscribe function (or null when the stream ends after the first lines).
   */
  ndjson(reply: FastifyReply, start: (write: (value: unknown) => void) => (() => void) | null): void {
    if (this.open.size >= MAX_OPEN_STREAMS) throw new ViworksError('VIW_E_TOO_MANY_STREAMS');
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(200, {
      ...versionHeaders(this.daemonVersion),
      'content-type': 'application/x-ndjson; charset=utf-8',
    });
    let closed = false;
    let unsubscribe: (() => void) | null = null;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      this.open.delete(close);
      res.end();
    };
    const write = (value: unknown) => {
      if (closed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        closed = true;
        unsubscribe?.();
        this.open.delete(close);
        res.destroy();
        return;
      }
      res.write(`${JSON.stringify(value)}\n`);
    };
    res.on('close', close);
    unsubscribe = start(write);
    if (unsubscribe === null) close();
    else this.open.add(close);
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}
