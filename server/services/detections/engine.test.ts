import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../core/audit/event.js';
import type { KvStore } from '../../kv/kv-store.js';
import { MemoryKv } from '../../kv/memory-kv.js';
import { startDetections } from './engine.js';
import type { DetectionRule } from './rule.js';
import { parseDetectionSettings } from './settings.js';
import { Clock, FakeAudit, type Harness, harness, RecordingSink, userPseudonym } from './testing/harness.js';

const otpFail = (asn: number): AuditFacts => ({
  component: 'backend',
  action: 'auth.otp_verify',
  result: 'failure',
  user_id: userPseudonym(1),
  asn,
});
const relaxation: AuditFacts = {
  component: 'admin',
  action: 'policy.relaxation_requested',
  result: 'success',
  error_msg: 'change 01938f2e-7c4d-7a10-8b2e-1f2a3b4c5d6e: split tunnel',
};

/** A KV whose every call fails, or never answers. */
function brokenKv(mode: 'throw' | 'hang'): KvStore {
  const fail = async (): Promise<never> => {
    if (mode === 'throw') throw new Error('connection refused');
    return new Promise<never>(() => undefined);
  };
  return {
    get: fail,
    set: fail,
    setIfAbsent: fail,
    take: fail,
    del: fail,
    incr: fail,
    hitWindow: fail,
    windowDistinct: fail,
    close: async () => undefined,
  };
}

describe('detection engine', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.stop();
    h = null;
  });
  /** Starts the test's harness (stopped after the test). */
  const start = (opts?: Parameters<typeof harness>[0]) => {
    h = harness(opts);
    return h;
  };

  it('ignores alert.* events, even for a rule that would watch them (no loops)', async () => {
    const loop: DetectionRule = {
      id: 'loop',
      title: 'loop',
      description: 'loop',
      severity: 'warning',
      key: ['device_id'],
      shape: {
        kind: 'each',
        dedupeMs: 'event',
        triggers: [{ reason: 'x', select: { action: ['alert.loop', 'x.y'] } }],
      },
      falsePositives: [],
      summary: () => 'loop',
    };
    const t = start({ rules: [loop] });
    await t.emit({ component: 'backend', action: 'alert.loop', result: 'success' });
    assert.equal(t.sink.alerts.length, 0);
    assert.equal(t.engine.stats().seen, 0);
    await t.emit({ component: 'backend', action: 'x.y', result: 'success' });
    assert.equal(t.sink.alerts.length, 1, 'the same rule does fire on what it watches');
  });

  it('touches only the rules that watch an action: other events are not even counted', async () => {
    const t = start();
    await t.emit(
      { component: 'backend', action: 'auth.login', result: 'success' },
      { component: 'backend', action: 'session.end', result: 'success' },
    );
    assert.equal(t.engine.stats().seen, 0);
    await t.emit(otpFail(64500));
    assert.equal(t.engine.stats().seen, 1);
  });

  it('a failing KV never throws into the audit path: logged, counted, and the next event still runs', async () => {
    const t = start({ kv: brokenKv('throw') });
    assert.doesNotThrow(() => t.audit.emit(otpFail(64500)));
    await t.emit(otpFail(64501), relaxation);
    const s = t.engine.stats();
    assert.equal(s.errors, 3);
    assert.equal(t.sink.alerts.length, 0);
    assert.deepEqual(t.logs[0], {
      level: 'error',
      obj: { rule: 'otp_stuffing', err: 'connection refused' },
      msg: 'detection rule failed',
    });
  });

  it('a sink that fails is logged and counted; the alert is not raised twice', async () => {
    const t = start();
    t.sink.failNext = 1;
    await t.emit(relaxation);
    assert.equal(t.engine.stats().errors, 1);
    assert.equal(t.engine.stats().raised, 0);
    assert.ok(t.logs.some((l) => l.msg === 'alert lost: the sink refused it'));
    await t.emit(relaxation);
    assert.equal(t.engine.stats().raised, 1, 'the next relaxation is raised');
  });

  it('drops events beyond a bounded backlog instead of growing (counted, logged once)', async () => {
    // Not `h`: its first event never finishes, so the engine cannot be stopped and waited for.
    const hung = harness({ kv: brokenKv('hang') });
    for (let i = 0; i < 10_005; i += 1) hung.audit.emit(otpFail(64500));
    const s = hung.engine.stats();
    assert.equal(s.seen, 10_005);
    // One event is being evaluated (and hangs), 10 000 wait: 4 dropped.
    assert.equal(s.dropped, 4);
    assert.equal(hung.logs.filter((l) => l.msg === 'detection backlog full').length, 1);
  });

  it('disabled rules and a disabled engine raise nothing', async () => {
    const t = start({ settings: { disabledRules: ['policy_relaxation'] } });
    await t.emit(relaxation);
    assert.equal(t.sink.alerts.length, 0);
    await t.stop();
    const off = start({ settings: { enabled: false } });
    await off.emit(relaxation);
    assert.equal(off.sink.alerts.length, 0);
  });

  it('stop() unsubscribes from the audit stream', async () => {
    const t = start();
    await t.engine.stop();
    t.audit.emit(relaxation);
    await t.engine.idle();
    assert.equal(t.sink.alerts.length, 0);
  });

  it('alerts carry printable one-line summaries of at most 200 characters', async () => {
    const t = start();
    await t.emit({
      ...relaxation,
      error_msg: `change 01938f2e-7c4d-7a10-8b2e-1f2a3b4c5d6e: ${'x'.repeat(200)}`,
    });
    const [a] = t.sink.alerts;
    assert.equal(a?.summary.length, 200);
    assert.match(a?.summary ?? '', /^[\x20-\x7E]+$/);
    assert.ok(a?.firedAt instanceof Date);
  });

  it('its own timer judges SPA deadlines', async () => {
    const audit = new FakeAudit(new Clock(Date.now()));
    const sink = new RecordingSink();
    const kv = new MemoryKv();
    const engine = startDetections({
      audit,
      kv,
      sink,
      settings: parseDetectionSettings({ spaWithoutTls: { withinS: 1, ingestLagS: 0 } }),
      checkEveryMs: 50,
      log: { warn: () => undefined, error: () => undefined },
    });
    audit.emit(
      {
        component: 'gateway',
        action: 'spa.accepted',
        result: 'success',
        src_ip: '198.51.100.1',
        gateway: 'gw',
      },
      Date.now(),
    );
    await engine.idle();
    await new Promise((r) => setTimeout(r, 1300));
    await engine.stop();
    await kv.close();
    assert.deepEqual(
      sink.alerts.map((a) => a.rule),
      ['spa_without_tls'],
    );
  });
});
