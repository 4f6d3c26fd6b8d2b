// Unit-test harness for the detection engine: an audit stream of hand-built, schema-valid events
// on a hand-driven clock, a sink that records what it is given, and the engine over a MemoryKv on
// the same clock.
import { type AuditFacts, buildAuditEvent } from '../../../../core/audit/event.js';
import type { KvStore } from '../../../kv/kv-store.js';
import { MemoryKv } from '../../../kv/memory-kv.js';
import type { AuditRecord } from '../../audit/service.js';
import type { AlertSink, RaisedAlert } from '../alert.js';
import { type DetectionDeps, type Detections, startDetections } from '../engine.js';
import { type DetectionSettings, parseDetectionSettings } from '../settings.js';

const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };

/** A clock tests move by hand. */
export class Clock {
  constructor(public t = Date.parse('2026-12-04T10:00:00.000Z')) {}
  readonly now = () => new Date(this.t);
  readonly ms = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The part of AuditService the engine uses, fed by hand. */
export class FakeAudit {
  private readonly listeners = new Set<(r: AuditRecord) => void>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    seqStart = 0,
  ) {
    this.seq = seqStart;
  }

  onRecorded(listener: (r: AuditRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one event now (or stamped `atMs`) and hands it to the listeners. */
  emit(facts: AuditFacts, atMs?: number): AuditRecord {
    this.seq += 1;
    const event = buildAuditEvent(CTX, facts, new Date(atMs ?? this.clock.t));
    const record = { seq: this.seq, event, hash: '0'.repeat(64) };
    this.deliver(record);
    return record;
  }

  /** Hands an existing record to the listeners again (a redelivery). */
  deliver(record: AuditRecord): void {
    for (const l of this.listeners) l(record);
  }
}

export class RecordingSink implements AlertSink {
  readonly alerts: RaisedAlert[] = [];
  failNext = 0;
  async raise(alert: RaisedAlert): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('sink down');
    }
    this.alerts.push(alert);
  }
  of(rule: string): RaisedAlert[] {
    return this.alerts.filter((a) => a.rule === rule);
  }
}

export interface LogLine {
  readonly level: 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export interface Harness {
  readonly clock: Clock;
  readonly audit: FakeAudit;
  readonly sink: RecordingSink;
  readonly kv: KvStore;
  readonly engine: Detections;
  readonly logs: LogLine[];
  /** Records the events in order and waits until the engine evaluated them. */
  emit(...facts: AuditFacts[]): Promise<AuditRecord[]>;
  stop(): Promise<void>;
}

export function harness(
  opts: {
    settings?: unknown;
    clock?: Clock;
    kv?: KvStore;
    audit?: FakeAudit;
    sink?: RecordingSink;
    rules?: DetectionDeps['rules'];
  } = {},
): Harness {
  const clock = opts.clock ?? new Clock();
  const kv = opts.kv ?? new MemoryKv(clock.ms);
  const audit = opts.audit ?? new FakeAudit(clock);
  const sink = opts.sink ?? new RecordingSink();
  const logs: LogLine[] = [];
  const settings: DetectionSettings = parseDetectionSettings(opts.settings ?? {});
  const engine = startDetections({
    audit,
    kv,
    sink,
    settings,
    now: clock.now,
    checkEveryMs: 0,
    log: {
      warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
      error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
    },
    ...(opts.rules ? { rules: opts.rules } : {}),
  });
  return {
    clock,
    audit,
    sink,
    kv,
    engine,
    logs,
    async emit(...facts) {
      const records = facts.map((f) => audit.emit(f));
      await engine.idle();
      return records;
    },
    async stop() {
      await engine.stop();
      if (!opts.kv) await kv.close();
    },
  };
}

/** A schema-valid user pseudonym for test number `n`. */
export const userPseudonym = (n: number) => `u-${n.toString(16).padStart(24, '0')}`;
