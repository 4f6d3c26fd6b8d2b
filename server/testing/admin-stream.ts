// Test helpers for the admin API's streams, read through the real typed client (AdminClient over
// the pinned HTTPS transport, as the CLI does): a client for a test server and a session token, and
// the next item of an async iterator with an upper bound, so a missing event fails the test instead
// of hanging it (the bound is a safety net, not what is tested).
import { AdminClient } from '../../core/backendclient/admin-client.js';
import { PinnedTransport } from '../../core/backendclient/pinned-transport.js';
import type { TestServer } from './harness.js';

export function adminClientOf(srv: TestServer, token: string): AdminClient {
  const { url, backend_pins } = srv.server.banner;
  return new AdminClient(new PinnedTransport({ url, caPem: srv.ca, pins: backend_pins }), token);
}

export async function nextWithin<T>(it: AsyncIterator<T>, ms = 10_000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing from the stream within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([it.next(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next value; fails when the stream ended instead. */
export async function nextValue<T>(it: AsyncIterator<T>, ms?: number): Promise<T> {
  const r = await nextWithin(it, ms);
  if (r.done) throw new Error('the stream ended');
  return r.value;
}
