// Small checks the three parsers share: every value taken from a log line passes one of these first.
import { MAX_REASON_CHARS } from './types.js';

/**
 * Lines longer than this are not looked at: the daemons' real lines are far shorter, and no regex
 * then runs over attacker-sized input.
 */
export const MAX_LINE_CHARS = 4096;
/** Entries a parser's per-connection state holds before it drops the oldest. */
export const MAX_STATE_ENTRIES = 10_000;

const IPV4_RE =
  /^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

export function isIpv4(text: string): boolean {
  return IPV4_RE.test(text);
}

/** A port number from digits, or null. */
export function port(text: string | undefined): number | null {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** A non-negative count from digits (at most 15, so always a safe integer), or null. */
export function count(text: string | undefined): number | null {
  if (text === undefined || !/^[0-9]{1,15}$/.test(text)) return null;
  return Number(text);
}

/** Printable ASCII only (anything else becomes `?`), single spaces, cut to the reason's bound. */
export function reasonText(text: string, max = MAX_REASON_CHARS): string | null {
  const clean = text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, max)
    .trim();
  return clean === '' ? null : clean;
}

/** A wall-clock time as a log line writes it: its normalized text and seconds for differences. */
export interface LineTime {
  /** `YYYY-MM-DDThh:mm:ss`, the daemon's local time (the zone is not in the log). */
  readonly at: string;
  /** Seconds since the epoch as if that local time were UTC: only ever used for differences. */
  readonly seconds: number;
}

/** From year, month, day, hour, minute, second digits; null when they name no real time. */
export function lineTime(parts: readonly (string | undefined)[]): LineTime | null {
  const [y, mo, d, h, mi, s] = parts.map((p) => Number(p));
  if ([y, mo, d, h, mi, s].some((n) => n === undefined || !Number.isInteger(n))) return null;
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-31 over into March: only a time that survives the round trip is real.
  if (
    Number.isNaN(ms) ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi
  ) {
    return null;
  }
  const at = back.toISOString().slice(0, 19);
  return { at, seconds: Math.floor(ms / 1000) };
}

/** Whole milliseconds from one line time to a later one (null when either is unknown or it runs backwards). */
export function elapsedMs(from: LineTime | null, to: LineTime | null): number | null {
  if (!from || !to || to.seconds < from.seconds) return null;
  return (to.seconds - from.seconds) * 1000;
}

/** A Map that forgets its oldest entry once it holds `cap` (insertion order; a re-set moves to the end). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly cap = MAX_STATE_ENTRIES) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.cap) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  /** Every entry, oldest first. */
  entries(): [K, V][] {
    return [...this.map.entries()];
  }

  clear(): void {
    this.map.clear();
  }
}
