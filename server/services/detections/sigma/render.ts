// The detection rules as Sigma rules (siem/sigma/, Sigma specification 2.0 and its correlation
// rules): one file per rule, generated from the same definitions the engine runs, so they cannot
// drift. Field names are those of the native NDJSON event (siem/sigma/README.md maps them to ECS).
//   each            one detection rule per trigger
//   count           base rule + `event_count` correlation
//   count_distinct  base rule + `event_count` + `value_count` correlations, joined by `temporal`
//   absence         Sigma cannot say "not followed by": the opening event's rule, status
//                   `unsupported`, describing the deadline the backend evaluates (alert.<id>)
import type { AlertSeverity } from '../alert.js';
import type {
  AbsenceShape,
  CountDistinctShape,
  CountShape,
  DetectionRule,
  EachShape,
  EventField,
  FieldTest,
  KeyPart,
  Selector,
  Trigger,
} from '../rule.js';
import { uuidV5 } from './uuid.js';
import { toYamlDocuments, type YamlValue } from './yaml.js';

type Doc = { [k: string]: YamlValue };

export const SIGMA_AUTHOR = 'ViWorkS';
export const SIGMA_LOGSOURCE: Doc = {
  product: 'viworks',
  service: 'audit',
  definition:
    'ViWorkS normalized audit events (core/audit/event.ts), field names as in the native NDJSON ' +
    '(siem/sigma/README.md maps them to ECS)',
};

const LEVEL: Record<AlertSeverity, string> = { warning: 'medium', error: 'high', critical: 'critical' };

/** `90s`, `10m`, `1h`: the largest unit that divides the span. */
export function timespan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

const one = <T extends YamlValue>(list: readonly T[]): YamlValue =>
  list.length === 1 ? (list[0] as T) : [...list];

function fieldTest(field: EventField, test: FieldTest): Doc {
  return 'startsWith' in test
    ? { [`${field}|startswith`]: one(test.startsWith) }
    : { [`${field}|contains`]: one(test.contains) };
}

/** A selector as Sigma search identifiers and the condition that joins them. */
export function detectionOf(sel: Selector): Doc {
  const selection: Doc = { action: one(sel.action) };
  if (sel.component) selection.component = one(sel.component);
  if (sel.result) selection.result = one(sel.result);
  for (const [f, t] of Object.entries(sel.where ?? {}) as [EventField, FieldTest][]) {
    Object.assign(selection, fieldTest(f, t));
  }
  const detection: Doc = { selection };
  const nots: string[] = [];
  for (const f of sel.present ?? []) {
    detection[`filter_no_${f}`] = { [f]: null };
    nots.push(`filter_no_${f}`);
  }
  for (const [f, t] of Object.entries(sel.unless ?? {}) as [EventField, FieldTest][]) {
    detection[`filter_${f}`] = fieldTest(f, t);
    nots.push(`filter_${f}`);
  }
  detection.condition = ['selection', ...nots.map((n) => `not ${n}`)].join(' and ');
  return detection;
}

/** The fields an alert is grouped by (a `firstOf` contributes each of its fields). */
export function groupBy(parts: readonly KeyPart[]): string[] {
  return parts.flatMap((p) => (typeof p === 'string' ? [p] : 'firstOf' in p ? [...p.firstOf] : [p.field]));
}

/** The meta information of a document that alerts: before and after its logic, in Sigma's usual order. */
function alerting(rule: DetectionRule, level: AlertSeverity, status = 'experimental', note = '') {
  return {
    head: { status, description: `${rule.description}${note}`, author: SIGMA_AUTHOR } as Doc,
    tail: { falsepositives: [...rule.falsePositives], level: LEVEL[level] } as Doc,
  };
}

function selection(rule: DetectionRule, name: string, title: string, sel: Selector) {
  return {
    title,
    id: uuidV5(`${rule.id}/${name}`),
    name,
    logsource: SIGMA_LOGSOURCE,
    detection: detectionOf(sel),
  };
}

/** An `each` trigger's document name: the reason, and its component if two triggers share a reason. */
function triggerName(base: string, triggers: readonly Trigger[], i: number): string {
  if (triggers.length === 1) return base;
  const t = triggers[i] as Trigger;
  const shared = triggers.filter((u) => u.reason === t.reason).length > 1;
  return `${base}_${t.reason}${shared ? `_${t.select.component?.join('_') ?? i}` : ''}`;
}

function each(rule: DetectionRule, s: EachShape, base: string): Doc[] {
  return s.triggers.map((t, i) => {
    const name = triggerName(base, s.triggers, i);
    const { title, id, logsource, detection } = selection(rule, name, t.title ?? rule.title, t.select);
    const { head, tail } = alerting(rule, t.severity ?? rule.severity);
    return { title, id, name, ...head, logsource, detection, ...tail };
  });
}

function count(rule: DetectionRule, s: CountShape, base: string): Doc[] {
  const event = `${base}_event`;
  const { head, tail } = alerting(rule, rule.severity);
  const correlation = {
    type: 'event_count',
    rules: [event],
    'group-by': groupBy(rule.key),
    timespan: timespan(s.windowMs),
    condition: { [s.op]: s.threshold },
  };
  return [
    { title: rule.title, id: uuidV5(`${rule.id}/${base}`), name: base, ...head, correlation, ...tail },
    selection(rule, event, `${rule.title} (one event)`, s.select),
  ];
}

function countDistinct(rule: DetectionRule, s: CountDistinctShape, base: string): Doc[] {
  const [event, many, spread] = [`${base}_event`, `${base}_count`, `${base}_distinct`];
  const common = { 'group-by': groupBy(rule.key), timespan: timespan(s.windowMs) };
  const { head, tail } = alerting(rule, rule.severity);
  const both = { type: 'temporal', rules: [many, spread], ...common, condition: { gte: 2 } };
  const counted = { type: 'event_count', rules: [event], ...common, condition: { gte: s.threshold } };
  const valued = {
    type: 'value_count',
    rules: [event],
    ...common,
    condition: { field: s.distinct.field, gte: s.distinct.atLeast },
  };
  return [
    { title: rule.title, id: uuidV5(`${rule.id}/${base}`), name: base, ...head, correlation: both, ...tail },
    {
      title: `${rule.title} (at least ${s.threshold} events)`,
      id: uuidV5(`${rule.id}/${many}`),
      name: many,
      correlation: counted,
    },
    {
      title: `${rule.title} (at least ${s.distinct.atLeast} distinct ${s.distinct.field})`,
      id: uuidV5(`${rule.id}/${spread}`),
      name: spread,
      correlation: valued,
    },
    selection(rule, event, `${rule.title} (one event)`, s.select),
  ];
}

function absence(rule: DetectionRule, s: AbsenceShape, base: string): Doc[] {
  const note =
    ' Sigma 2.0 cannot express "not followed by": this rule selects the opening event only. The ViWorkS ' +
    `backend evaluates the deadline (${timespan(s.withinMs)}, same ${groupBy(rule.key).join(' and ')}, ` +
    `closing event ${s.close.action.join(', ')} with result ${(s.close.result ?? ['any']).join(', ')}) and ` +
    `records alert.${rule.id}: alert on that event in the SIEM.`;
  const { title, id, logsource, detection } = selection(rule, base, rule.title, s.open);
  const { head, tail } = alerting(rule, rule.severity, 'unsupported', note);
  return [{ title, id, name: base, ...head, logsource, detection, ...tail }];
}

/** The YAML documents of one rule, the one that alerts first. */
export function sigmaDocuments(rule: DetectionRule): Doc[] {
  const s = rule.shape;
  const base = `viworks_${rule.id}`;
  switch (s.kind) {
    case 'each':
      return each(rule, s, base);
    case 'count':
      return count(rule, s, base);
    case 'count_distinct':
      return countDistinct(rule, s, base);
    case 'absence':
      return absence(rule, s, base);
  }
}

export const sigmaFileName = (rule: DetectionRule) => `viworks_${rule.id}.yml`;

const HEADER = (rule: DetectionRule) =>
  `# Generated from server/services/detections/rules (rule ${rule.id}) with the default settings.\n` +
  '# Do not edit: run `node --import tsx server/services/detections/sigma/generate.ts`.\n';

/** Every rule's file name and text. */
export function sigmaFiles(rules: readonly DetectionRule[]): Map<string, string> {
  return new Map(rules.map((r) => [sigmaFileName(r), HEADER(r) + toYamlDocuments(sigmaDocuments(r))]));
}
