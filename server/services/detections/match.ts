// Evaluating a rule's selectors and key against one audit event. Values come from an event that
// already passed the audit schema (bounded, printable ASCII), so they are safe as KV key parts.
import type { AuditEvent } from '../../../core/audit/event.js';
import type { EventField, FieldTest, KeyPart, Selector } from './rule.js';

/** A field's value as text, or null when it has none (null or absent). */
export function fieldText(event: AuditEvent, field: EventField): string | null {
  const v = event[field];
  return v === null || v === undefined ? null : String(v);
}

function passes(test: FieldTest, value: string | null): boolean {
  if (value === null) return false;
  const v = value.toLowerCase();
  if ('startsWith' in test) return test.startsWith.some((p) => v.startsWith(p.toLowerCase()));
  return test.contains.some((p) => v.includes(p.toLowerCase()));
}

type Tests = Readonly<Partial<Record<EventField, FieldTest>>>;
const entries = (tests: Tests | undefined) => Object.entries(tests ?? {}) as [EventField, FieldTest][];

export function matches(sel: Selector, event: AuditEvent): boolean {
  if (!sel.action.includes(event.action)) return false;
  if (sel.component && !sel.component.includes(event.component)) return false;
  if (sel.result && !sel.result.includes(event.result)) return false;
  if (sel.present?.some((f) => fieldText(event, f) === null)) return false;
  if (entries(sel.where).some(([f, t]) => !passes(t, fieldText(event, f)))) return false;
  if (entries(sel.unless).some(([f, t]) => passes(t, fieldText(event, f)))) return false;
  return true;
}

/** Rule definitions are static: compile each capture pattern once. */
const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    patterns.set(source, re);
  }
  return re;
}

function partValue(part: KeyPart, event: AuditEvent): { name: string; value: string | null } {
  if (typeof part === 'string') return { name: part, value: fieldText(event, part) };
  if ('firstOf' in part) {
    const value = part.firstOf.map((f) => fieldText(event, f)).find((v) => v !== null) ?? null;
    return { name: part.firstOf[0] ?? 'key', value };
  }
  const text = fieldText(event, part.field);
  return { name: part.as, value: text === null ? null : (pattern(part.capture).exec(text)?.[1] ?? null) };
}

/** The alert key (`-` for a part without a value) and the parts by name. */
export function keyOf(
  parts: readonly KeyPart[],
  event: AuditEvent,
): { key: string; values: Record<string, string | null> } {
  const values: Record<string, string | null> = {};
  const texts: string[] = [];
  for (const part of parts) {
    const { name, value } = partValue(part, event);
    values[name] = value;
    texts.push(value ?? '-');
  }
  return { key: texts.join('|'), values };
}
