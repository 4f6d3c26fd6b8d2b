// The `absence` shape (spa_without_tls): an opening event that no closing event with the same key
// follows in time. Closing events are marked in the shared KV, so a handshake seen by either backend
// instance counts; an opening event waits in the memory of the instance that saw it and is checked
// there when its deadline passes. A wait is lost if that instance stops or dies before the deadline
// (the SPA is then never judged): the price of no per-event database write.
import type { AuditEvent } from '../../../core/audit/event.js';
import type { KvStore } from '../../kv/kv-store.js';
import type { AuditRecord } from '../audit/service.js';
import { keyOf, matches } from './match.js';
import type { AbsenceShape, DetectionRule } from './rule.js';

/** Closing times kept per key: enough for a client that reconnects a few times within the window. */
const CLOSES_KEPT = 8;

export interface Waiting {
  readonly due: number;
  readonly key: string;
  readonly keyValues: Record<string, string | null>;
  readonly openedAt: number;
  readonly record: AuditRecord;
}

const eventTime = (e: AuditEvent) => Date.parse(e.timestamp);

export class FollowUps {
  private waiting: Waiting[] = [];
  private droppedWaits = 0;

  constructor(
    private readonly rule: DetectionRule & { readonly shape: AbsenceShape },
    private readonly kv: KvStore,
    private readonly now: () => number,
    private readonly maxWaiting: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  get dropped(): number {
    return this.droppedWaits;
  }

  private closeKey(key: string): string {
    return `det:${this.rule.id}:close:${key}`;
  }

  /** A closing event at `closedAt` settles an opening one at `openedAt`. */
  private settles(openedAt: number, closedAt: number): boolean {
    const { withinMs, lagMs } = this.rule.shape;
    return closedAt >= openedAt - lagMs && closedAt <= openedAt + withinMs + lagMs;
  }

  private async closes(key: string): Promise<number[]> {
    const text = await this.kv.get(this.closeKey(key));
    if (!text) return [];
    try {
      const list: unknown = JSON.parse(text);
      return Array.isArray(list)
        ? list.filter((t): t is number => Number.isFinite(t)).slice(-CLOSES_KEPT)
        : [];
    } catch {
      return [];
    }
  }

  /** Takes one event the rule watches (the engine calls only with an action of open or close). */
  async onEvent(record: AuditRecord): Promise<void> {
    const { open, close, withinMs, lagMs } = this.rule.shape;
    const event = record.event;
    if (matches(close, event)) {
      const { key } = keyOf(this.rule.key, event);
      // Read-modify-write: two instances closing the same key in the same instant may lose one of
      // the two times, which only matters if neither settles the wait.
      const list = [...(await this.closes(key)), eventTime(event)].slice(-CLOSES_KEPT);
      await this.kv.set(this.closeKey(key), JSON.stringify(list), withinMs + 2 * lagMs + 5_000);
    }
    if (matches(open, event)) {
      const { key, values } = keyOf(this.rule.key, event);
      const openedAt = eventTime(event);
      if ((await this.closes(key)).some((t) => this.settles(openedAt, t))) return;
      if (this.waiting.length >= this.maxWaiting) {
        this.waiting.shift();
        this.droppedWaits += 1;
      }
      // Deadlines are now + a constant: appending keeps the list in deadline order.
      this.waiting.push({ due: this.now() + withinMs + lagMs, key, keyValues: values, openedAt, record });
    }
  }

  /** The waits whose deadline passed and that nothing settled; they leave the list. */
  async unsettled(): Promise<Waiting[]> {
    const t = this.now();
    let n = 0;
    while (n < this.waiting.length && (this.waiting[n] as Waiting).due <= t) n += 1;
    const due = this.waiting.splice(0, n);
    const missing: Waiting[] = [];
    for (const w of due) {
      try {
        if (!(await this.closes(w.key)).some((c) => this.settles(w.openedAt, c))) missing.push(w);
      } catch (err) {
        this.onError(err);
      }
    }
    return missing;
  }
}
