// The streaming detection engine (docs/detections.md): every durable audit record of this instance
// (AuditService.onRecorded) goes to the rules that watch its action, and a rule that fires raises an
// alert through the AlertSink. Windowed counts, distinct values and "already alerted" markers live
// in the shared KV store, so two backend instances (each seeing only the events it recorded) add up
// to one view and raise an alert once. No database query per event; nothing ever throws into the
// audit path: a failing rule is logged and counted, and the next event is evaluated as usual.
import type { KvStore } from '../../kv/kv-store.js';
import type { AuditRecord, AuditService } from '../audit/service.js';
import type { AlertSeverity, AlertSink, RaisedAlert } from './alert.js';
import { alertFields, contextOf, type Evidence, printable } from './alert-content.js';
import { FollowUps } from './follow-up.js';
import { fieldText, keyOf, matches } from './match.js';
import {
  type AbsenceShape,
  type DetectionRule,
  dedupeWindowMs,
  type Firing,
  watchedActions,
} from './rule.js';
import { detectionRules } from './rules/index.js';
import type { DetectionSettings } from './settings.js';

export interface DetectionLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DetectionDeps {
  readonly audit: Pick<AuditService, 'onRecorded'>;
  readonly kv: KvStore;
  readonly sink: AlertSink;
  readonly settings: DetectionSettings;
  readonly log: DetectionLog;
  readonly now?: () => Date;
  /** The rules to run; by default every rule of rules/index.ts built from the settings. */
  readonly rules?: readonly DetectionRule[];
  /** How often deadlines (spa_without_tls) are checked; 0: only by `checkDue()` (tests). */
  readonly checkEveryMs?: number;
}

export interface DetectionStats {
  /** Events at least one rule watches. */
  readonly seen: number;
  readonly raised: number;
  /** Fired again within the rule's window: no second alert. */
  readonly suppressed: number;
  /** A rule or the sink failed (logged). */
  readonly errors: number;
  /** Events not evaluated because the backlog was full. */
  readonly dropped: number;
  /** Opening events (SPAs) waiting for their deadline, and waits dropped because too many. */
  readonly waiting: number;
  readonly droppedWaits: number;
}

export interface Detections {
  /** Stops listening and checking; waits for the event being evaluated. Pending deadlines are lost. */
  stop(): Promise<void>;
  /** Resolves once every event received so far has been evaluated. */
  idle(): Promise<void>;
  /** Judges the openings whose deadline passed (the timer calls it; tests call it directly). */
  checkDue(): Promise<void>;
  stats(): DetectionStats;
}

/** Events waiting to be evaluated; beyond it new ones are dropped (counted), never the audit path slowed. */
const MAX_BACKLOG = 10_000;
/** Recent evidence kept per rule and key in this instance. */
const EVIDENCE_KEPT = 8;
const EVIDENCE_KEYS = 10_000;
/** How long a per-event alert marker lives (`dedupeMs: 'event'`): longer than any redelivery. */
const EVENT_MARKER_MS = 24 * 3600_000;
const SUMMARY_MAX = 200;

const errText = (err: unknown) => printable(err instanceof Error ? err.message : String(err), 200);

export function startDetections(deps: DetectionDeps): Detections {
  const { kv, sink, settings, log } = deps;
  const now = deps.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const disabled = new Set<string>(settings.disabledRules);
  const rules = settings.enabled
    ? (deps.rules ?? detectionRules(settings)).filter((r) => !disabled.has(r.id))
    : [];

  const counters = { seen: 0, raised: 0, suppressed: 0, errors: 0, dropped: 0 };
  const failed = (rule: string, err: unknown) => {
    counters.errors += 1;
    log.error({ rule, err: errText(err) }, 'detection rule failed');
  };

  const followUps = new Map<string, FollowUps>();
  const byAction = new Map<string, DetectionRule[]>();
  for (const rule of rules) {
    if (rule.shape.kind === 'absence') {
      const absence = rule as DetectionRule & { shape: AbsenceShape };
      const max = settings.spaWithoutTls.maxPending;
      followUps.set(rule.id, new FollowUps(absence, kv, nowMs, max, (err) => failed(rule.id, err)));
    }
    for (const action of watchedActions(rule)) byAction.set(action, [...(byAction.get(action) ?? []), rule]);
  }

  // Recent evidence per rule+key in this instance (bounded; the oldest key goes first).
  const evidence = new Map<string, Evidence>();
  const remember = (id: string, key: string, seq: number, value: string | null): Evidence => {
    const k = `${id}|${key}`;
    const e = evidence.get(k) ?? { seqs: [], values: [] };
    evidence.delete(k);
    e.seqs = [...e.seqs, seq].slice(-EVIDENCE_KEPT);
    if (value !== null && !e.values.includes(value)) e.values = [...e.values, value].slice(-EVIDENCE_KEPT);
    evidence.set(k, e);
    if (evidence.size > EVIDENCE_KEYS) evidence.delete(evidence.keys().next().value as string);
    return e;
  };

  /** Raises the alert unless one with the same rule, reason and key was raised within the window. */
  async function fire(
    rule: DetectionRule,
    record: AuditRecord,
    f: Firing,
    severity: AlertSeverity,
    seen: Evidence | null,
  ): Promise<void> {
    const window = dedupeWindowMs(rule);
    const marker =
      window === 'event'
        ? { key: `det:${rule.id}:fired:seq:${record.seq}`, ttl: EVENT_MARKER_MS }
        : { key: `det:${rule.id}:fired:${f.reason}:${f.key}`, ttl: window };
    if (!(await kv.setIfAbsent(marker.key, String(record.seq), marker.ttl))) {
      counters.suppressed += 1;
      return;
    }
    const alert: RaisedAlert = {
      rule: rule.id,
      severity,
      key: printable(f.key, 200),
      summary: printable(rule.summary(f), SUMMARY_MAX),
      fields: alertFields(rule, f, seen),
      context: contextOf(f.event),
      evidence: seen ? seen.seqs : [record.seq],
      firedAt: now(),
    };
    try {
      await sink.raise(alert);
      counters.raised += 1;
    } catch (err) {
      // Marked as raised, so it will not be raised again within the window: say so loudly.
      failed(rule.id, err);
      log.error({ rule: rule.id, key: alert.key }, 'alert lost: the sink refused it');
    }
  }

  async function evaluate(rule: DetectionRule, record: AuditRecord): Promise<void> {
    const e = record.event;
    const s = rule.shape;
    switch (s.kind) {
      case 'each': {
        const trigger = s.triggers.find((t) => matches(t.select, e));
        if (!trigger) return;
        const { key, values } = keyOf(rule.key, e);
        const f: Firing = { key, keyValues: values, event: e, reason: trigger.reason };
        return fire(rule, record, f, trigger.severity ?? rule.severity, null);
      }
      case 'count': {
        if (!matches(s.select, e)) return;
        const { key, values } = keyOf(rule.key, e);
        const count = await kv.hitWindow(`det:${rule.id}:n:${key}`, s.windowMs);
        const seen = remember(rule.id, key, record.seq, null);
        const over = s.op === 'gte' ? count >= s.threshold : count > s.threshold;
        if (!over) return;
        return fire(
          rule,
          record,
          { key, keyValues: values, event: e, reason: 'threshold', count },
          rule.severity,
          seen,
        );
      }
      case 'count_distinct': {
        if (!matches(s.select, e)) return;
        const { key, values } = keyOf(rule.key, e);
        const value = fieldText(e, s.distinct.field) ?? 'unknown';
        const [count, distinct] = await Promise.all([
          kv.hitWindow(`det:${rule.id}:n:${key}`, s.windowMs),
          kv.windowDistinct(`det:${rule.id}:d:${key}`, value, s.windowMs),
        ]);
        const seen = remember(rule.id, key, record.seq, value);
        if (count < s.threshold || distinct < s.distinct.atLeast) return;
        const f: Firing = { key, keyValues: values, event: e, reason: 'threshold', count, distinct };
        return fire(rule, record, f, rule.severity, seen);
      }
      case 'absence':
        return followUps.get(rule.id)?.onEvent(record);
    }
  }

  // ── The stream: a bounded backlog drained one event at a time ─────────────────────────────────
  const backlog: { record: AuditRecord; rules: DetectionRule[] }[] = [];
  let draining: Promise<void> | null = null;

  async function drain(): Promise<void> {
    for (let next = backlog.shift(); next; next = backlog.shift()) {
      for (const rule of next.rules) {
        try {
          await evaluate(rule, next.record);
        } catch (err) {
          failed(rule.id, err);
        }
      }
    }
  }

  const onRecord = (record: AuditRecord) => {
    try {
      accept(record);
    } catch (err) {
      failed('listener', err);
    }
  };

  const accept = (record: AuditRecord) => {
    const action = record.event.action;
    if (action.startsWith('alert.')) return; // an alert never feeds the rules
    const watching = byAction.get(action);
    if (!watching) return;
    counters.seen += 1;
    if (backlog.length >= MAX_BACKLOG) {
      counters.dropped += 1;
      if (counters.dropped % 1000 === 1) log.warn({ dropped: counters.dropped }, 'detection backlog full');
      return;
    }
    backlog.push({ record, rules: watching });
    draining ??= drain().finally(() => {
      draining = null;
    });
  };

  async function checkDue(): Promise<void> {
    for (const [id, followUp] of followUps) {
      const rule = rules.find((r) => r.id === id) as DetectionRule;
      for (const w of await followUp.unsettled()) {
        const f: Firing = {
          key: w.key,
          keyValues: w.keyValues,
          event: w.record.event,
          reason: 'no_follow_up',
        };
        try {
          await fire(rule, w.record, f, rule.severity, null);
        } catch (err) {
          failed(id, err);
        }
      }
    }
  }

  const unsubscribe =
    settings.enabled && rules.length > 0 ? deps.audit.onRecorded(onRecord) : () => undefined;
  let checking: Promise<void> | null = null;
  const every = deps.checkEveryMs ?? 1000;
  const timer =
    every > 0 && followUps.size > 0
      ? setInterval(() => {
          checking ??= checkDue()
            .catch((err) => failed('checkDue', err))
            .finally(() => {
              checking = null;
            });
        }, every)
      : null;
  timer?.unref();

  async function idle(): Promise<void> {
    while (draining) await draining;
  }

  return {
    async stop() {
      unsubscribe();
      if (timer) clearInterval(timer);
      await idle();
      await checking;
    },
    idle,
    checkDue,
    stats: () => ({
      ...counters,
      waiting: [...followUps.values()].reduce((n, f) => n + f.pending, 0),
      droppedWaits: [...followUps.values()].reduce((n, f) => n + f.dropped, 0),
    }),
  };
}
