// The report queue (client-events.ts) against a scripted backend: up to 16 per request, kept while
// the backend cannot take them and sent on the retry, dropped when refused for good, a refused
// batch retried one report at a time, a bounded queue that gives up knocks and latencies first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceEventReport } from '../../core/api/device-events.js';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { DaemonLog } from '../log/daemon-log.js';
import { ClientEventReporter } from './client-events.js';

const SID = `s-${'1'.repeat(32)}`;
const AT = new Date().toISOString();
const latency = (ms: number): DeviceEventReport => ({
  type: 'tls_latency',
  session_id: SID,
  detected_at: AT,
  latency_ms: ms,
});
const leak = (detail: string): DeviceEventReport => ({
  type: 'dns_leak_detected',
  session_id: null,
  detected_at: AT,
  reason: 'resolver_changed',
  detail,
});

type Answer = ErrorCode | 'ok';

/**
 * A backend that answers each request with the next scripted outcome (then: accepted), or with
 * what `answer` says about the request.
 */
function scripted(script: Answer[] | ((r: readonly DeviceEventReport[]) => Answer)) {
  const requests: Array<readonly DeviceEventReport[]> = [];
  const recorded: DeviceEventReport[] = [];
  const send = async (reports: readonly DeviceEventReport[]) => {
    requests.push(reports);
    const code = typeof script === 'function' ? script(reports) : (script.shift() ?? 'ok');
    if (code !== 'ok') throw new ViworksError(code);
    recorded.push(...reports);
  };
  return { send, requests, recorded };
}

function reporter(send: (r: readonly DeviceEventReport[]) => Promise<void>, over = {}) {
  let text = '';
  const log = new DaemonLog({
    minLevel: 'debug',
    sink: (l) => {
      text += `${JSON.stringify(l)}\n`;
    },
  });
  return { r: new ClientEventReporter({ send, log, retryBaseMs: 20, ...over }), logText: () => text };
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((res) => setTimeout(res, 10));
  assert.ok(cond(), 'condition reached');
};

describe('ClientEventReporter', () => {
  it('sends at once, up to 16 per request, in order', async () => {
    const b = scripted([]);
    const { r } = reporter(b.send);
    const reports = Array.from({ length: 20 }, (_, i) => latency(i));
    for (const x of reports) r.report(x);
    await r.flush();
    assert.deepEqual(b.recorded, reports);
    assert.ok(b.requests.every((q) => q.length <= 16));
    assert.equal(r.pending, 0);
  });

  it('keeps reports the backend cannot take now and sends them on the retry', async () => {
    const b = scripted(['VIW_E_BACKEND_UNREACHABLE', 'VIW_E_RATE_LIMITED']);
    const { r, logText } = reporter(b.send);
    r.report(latency(1));
    await waitFor(() => b.requests.length === 1);
    r.report(latency(2)); // the backend is failing: no request of its own, the retry takes it
    assert.equal(b.requests.length, 1);
    assert.equal(r.pending, 2, 'kept');
    await waitFor(() => b.recorded.length === 2);
    assert.equal(b.requests.length, 3, 'two retries: rate-limited, then accepted');
    assert.deepEqual(
      b.recorded.map((x) => (x as { latency_ms: number }).latency_ms),
      [1, 2],
    );
    assert.equal(r.dropped, 0);
    assert.match(logText(), /kept; next try/);
  });

  it('drops what is refused for good; a refused batch is retried report by report', async () => {
    // An older backend that does not know a type refuses any request with one in it.
    const b = scripted((reports) =>
      reports.some((x) => x.type === 'tls_latency') ? 'VIW_E_VALIDATION' : 'ok',
    );
    const { r } = reporter(b.send);
    const reports = [leak('a'), latency(5), leak('b'), leak('c')];
    for (const x of reports) r.report(x);
    await r.flush();
    assert.ok(
      b.requests.some((q) => q.length > 1 && q.some((x) => x.type === 'tls_latency')),
      'a batch was refused',
    );
    assert.deepEqual(
      b.recorded.map((x) => (x as { detail: string }).detail),
      ['a', 'b', 'c'],
    );
    assert.equal(r.dropped, 1, 'only the latency');
    assert.equal(r.pending, 0);

    const revoked = scripted(['VIW_E_DEVICE_REVOKED', 'VIW_E_DEVICE_REVOKED']);
    const rv = reporter(revoked.send).r;
    rv.report(leak('c'));
    rv.report(leak('d'));
    await rv.flush();
    assert.equal(rv.pending, 0, 'a revoked device is not retried');
    assert.ok(rv.dropped >= 1);
  });

  it('reportNow says whether this report went out', async () => {
    const b = scripted(['VIW_E_BACKEND_UNREACHABLE', 'ok', 'VIW_E_VALIDATION']);
    const { r } = reporter(b.send, { retryBaseMs: 60_000 });
    assert.equal(await r.reportNow(leak('x')), false, 'unreachable: kept for later');
    assert.equal(r.pending, 1);
    assert.equal(await r.reportNow(leak('y')), true, 'the next attempt takes both');
    assert.equal(b.recorded.length, 2);
    assert.equal(await r.reportNow(leak('z')), false, 'refused for good');
    assert.equal(r.pending, 0);
    r.stop();
  });

  it('bounds the queue: knocks and latencies go first, then the oldest', async () => {
    const b = scripted(() => 'VIW_E_BACKEND_UNREACHABLE');
    b.requests.length = 0;
    const { r } = reporter(b.send, { maxQueued: 4, retryBaseMs: 60_000 });
    r.report(leak('1'));
    r.report(latency(1));
    r.report(leak('2'));
    r.report(leak('3'));
    r.report(leak('4')); // full: the latency goes
    await r.flush().catch(() => undefined);
    assert.equal(r.pending, 4);
    assert.equal(r.dropped, 1);
    r.report(leak('5')); // full of leaks: the oldest goes
    assert.equal(r.dropped, 2);
    r.stop();
    b.requests.length = 0;
    await r.flush();
    assert.equal(b.requests.length, 0, 'stopped: nothing more is sent');
  });

  it('never throws to its caller, whatever send does', async () => {
    const { r } = reporter(async () => {
      throw new TypeError('bug');
    });
    assert.doesNotThrow(() => r.report(latency(1)));
    await r.flush();
    assert.equal(r.pending, 1, 'an unexpected failure is retried, not lost');
    r.stop();
  });
});
