import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionViewT } from '../api/admin.js';
import { isViworksError } from '../errors/viworks-error.js';
import { readAdminSessionEvents } from './admin-session-events.js';
import { readSseFrames } from './sse-frames.js';
import type { OpenStream } from './transport.js';

const row = (over: Partial<SessionViewT> = {}): SessionViewT => ({
  id: '01890000-0000-7000-8000-000000000001',
  state: 'live',
  user_id: '01890000-0000-7000-8000-000000000002',
  username: 'alice',
  device_id: '01890000-0000-7000-8000-000000000003',
  gateway_id: '01890000-0000-7000-8000-000000000004',
  gateway_name: 'gw-1',
  created_at: '2030-01-01T00:00:00.000Z',
  expires_at: '2030-01-01T08:00:00.000Z',
  last_heartbeat_at: null,
  ended_at: null,
  end_reason: null,
  ...over,
});

/** A stream that hands out the given text cut into the given chunk sizes, and notes its close. */
function streamOf(text: string, cut = 7): OpenStream & { closed: boolean } {
  const bytes = new TextEncoder().encode(text);
  const s = {
    closed: false,
    chunks: (async function* () {
      for (let i = 0; i < bytes.length; i += cut) yield bytes.slice(i, i + cut);
    })(),
    close: () => {
      s.closed = true;
    },
  };
  return s;
}

async function all<T>(g: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
}

describe('admin session events reader', () => {
  it('yields each session row across arbitrary chunk boundaries; skips keep-alives and others', async () => {
    const ended = row({ state: 'ended', ended_at: '2030-01-01T01:00:00.000Z', end_reason: 'revoked' });
    const text = [
      ': subscribed\n\n',
      `event: session\ndata: ${JSON.stringify(row())}\n\n`,
      ': keepalive\n\n',
      'event: other\ndata: {"x":1}\n\n',
      // Contract mismatches are skipped, not guessed at: an unknown field, a bad state, not JSON.
      `event: session\ndata: ${JSON.stringify({ ...row(), extra: 1 })}\n\n`,
      `event: session\ndata: ${JSON.stringify({ ...row(), state: 'paused' })}\n\n`,
      'event: session\ndata: {not json\n\n',
      `event: session\r\ndata: ${JSON.stringify(ended)}\r\n\r\n`,
    ].join('');
    for (const cut of [1, 5, 64, 4096]) {
      const s = streamOf(text, cut);
      const got = await all(readAdminSessionEvents(s));
      assert.deepEqual(got, [row(), ended], `chunks of ${cut}`);
      assert.equal(s.closed, true, 'the stream is closed when it is read to the end');
    }
  });

  it('closes the stream when the reader stops early, or before it read anything', async () => {
    const s = streamOf(`event: session\ndata: ${JSON.stringify(row())}\n\n`.repeat(3));
    for await (const r of readAdminSessionEvents(s)) {
      assert.equal(r.username, 'alice');
      break;
    }
    assert.equal(s.closed, true);
    const unread = streamOf('');
    await readAdminSessionEvents(unread).return();
    assert.equal(unread.closed, true, 'a watch returned before its first row still hangs up');
  });

  it('refuses an event larger than the bound instead of buffering it', async () => {
    const s = streamOf(`event: session\ndata: ${'x'.repeat(200)}`, 50);
    await assert.rejects(all(readSseFrames(s, 100)), (err: unknown) =>
      isViworksError(err, 'VIW_E_BACKEND_UNREACHABLE'),
    );
    assert.equal(s.closed, true);
    // Just under the bound, the same event passes.
    const ok = await all(readSseFrames(streamOf(`event: session\ndata: ${'x'.repeat(80)}\n\n`, 50), 100));
    assert.equal(ok[0]?.data.length, 80);
  });

  it('follows the SSE rules: data lines joined by newlines, default event name, field without colon', async () => {
    const frames = await all(readSseFrames(streamOf('data: a\ndata: b\n\nevent: x\ndata\n\n')));
    assert.deepEqual(frames, [
      { event: 'message', data: 'a\nb' },
      { event: 'x', data: '' },
    ]);
  });
});
