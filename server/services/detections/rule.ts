// What a detection rule is: data, not code. Each rule (rules/*.ts) says which audit events it
// watches (selectors over the normalized event), how it groups them (the key), and which of four
// shapes it has. The engine (engine.ts) evaluates exactly these definitions and the Sigma export
// (sigma/) renders exactly these definitions, so the backend's alerts and the SIEM's rules cannot
// drift apart. Only a rule's one-line summary is a function: it is presentation, not logic.
import type { AuditComponent, AuditEvent, AuditResult } from '../../../core/audit/event.js';
import type { AlertSeverity } from './alert.js';

/** A field of the normalized audit event (core/audit/event.ts), extensions included. */
export type EventField = Exclude<keyof AuditEvent, 'component' | 'action' | 'result'>;

/** A test of one field's text; case-insensitive, as Sigma's string matching is by default. */
export type FieldTest = { readonly startsWith: readonly string[] } | { readonly contains: readonly string[] };

/** Which events: every given list must contain the event's value, every test must hold. */
export interface Selector {
  readonly action: readonly string[];
  readonly component?: readonly AuditComponent[];
  readonly result?: readonly AuditResult[];
  /** Fields that must carry a value (not null, not absent). */
  readonly present?: readonly EventField[];
  /** Each test must hold. */
  readonly where?: Readonly<Partial<Record<EventField, FieldTest>>>;
  /** No test may hold (a field without a value fails every test, so it passes `unless`). */
  readonly unless?: Readonly<Partial<Record<EventField, FieldTest>>>;
}

/**
 * One part of the key an alert is about: a field, the first of several that has a value, or a
 * part of a field's text (the regular expression's first group, named `as` in the alert's fields).
 * A part without a value is `-`.
 */
export type KeyPart =
  | EventField
  | { readonly firstOf: readonly EventField[] }
  | { readonly field: EventField; readonly capture: string; readonly as: string };

/** One way an `each` rule fires, with its own reason and, optionally, its own severity. */
export interface Trigger {
  /** snake_case; the reason the alert carries (`unknown`, `downgrade`, …). */
  readonly reason: string;
  readonly select: Selector;
  readonly severity?: AlertSeverity;
  /** Its Sigma document's title, when the rule has several triggers. */
  readonly title?: string;
}

/** Every matching event fires (the first trigger that matches), once per key per `dedupeMs`. */
export interface EachShape {
  readonly kind: 'each';
  readonly triggers: readonly Trigger[];
  /** `event`: every event alerts (only a repeat of the same event is suppressed). */
  readonly dedupeMs: number | 'event';
}

/** At least (`gte`) or more than (`gt`) `threshold` matching events per key within the window. */
export interface CountShape {
  readonly kind: 'count';
  readonly select: Selector;
  readonly op: 'gte' | 'gt';
  readonly threshold: number;
  readonly windowMs: number;
}

/**
 * At least `threshold` matching events AND at least `distinct.atLeast` distinct values of
 * `distinct.field` per key within the window. An event without the field counts as the value
 * `unknown` (one value for all of them: missing data can never inflate the distinct count).
 */
export interface CountDistinctShape {
  readonly kind: 'count_distinct';
  readonly select: Selector;
  readonly threshold: number;
  readonly distinct: { readonly field: EventField; readonly atLeast: number };
  readonly windowMs: number;
}

/**
 * An `open` event not followed by a `close` event with the same key within `withinMs` (event
 * timestamps; `lagMs` of tolerance because data-plane events arrive in poll batches).
 */
export interface AbsenceShape {
  readonly kind: 'absence';
  readonly open: Selector;
  readonly close: Selector;
  readonly withinMs: number;
  readonly lagMs: number;
}

export type RuleShape = EachShape | CountShape | CountDistinctShape | AbsenceShape;

/** What made a rule fire: the summary and the alert's fields are built from it. */
export interface Firing {
  readonly key: string;
  /** The key's parts by the field they came from (the first field of a `firstOf`). */
  readonly keyValues: Readonly<Record<string, string | null>>;
  readonly event: AuditEvent;
  readonly reason: string;
  readonly count?: number;
  readonly distinct?: number;
}

export interface DetectionRule {
  /** snake_case; the alert's `rule` and its audit action `alert.<id>`. */
  readonly id: string;
  readonly title: string;
  /** What it detects and why it matters (Sigma `description`, docs/detections.md). */
  readonly description: string;
  readonly severity: AlertSeverity;
  readonly key: readonly KeyPart[];
  readonly shape: RuleShape;
  readonly falsePositives: readonly string[];
  /** One printable line for people (the engine cuts it to 200 characters). */
  summary(f: Firing): string;
}

/** The actions a rule watches: what the engine indexes it by. */
export function watchedActions(rule: DetectionRule): string[] {
  const s = rule.shape;
  const selectors =
    s.kind === 'each'
      ? s.triggers.map((t) => t.select)
      : s.kind === 'absence'
        ? [s.open, s.close]
        : [s.select];
  return [...new Set(selectors.flatMap((sel) => sel.action))];
}

/** How long an alert of the rule suppresses the next one with the same key. */
export function dedupeWindowMs(rule: DetectionRule): number | 'event' {
  const s = rule.shape;
  switch (s.kind) {
    case 'each':
      return s.dedupeMs;
    case 'absence':
      // One wait spans window + lag: a knock repeated within that is the same probe, not a new one.
      return s.withinMs + s.lagMs;
    default:
      return s.windowMs;
  }
}
