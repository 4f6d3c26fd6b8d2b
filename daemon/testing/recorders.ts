// Test helpers: a background reader of GET /v1/watch, and a secret search over captured text.
import assert from 'node:assert/strict';
import type { Status } from '../../core/api/local.js';
import type { LocalClient } from '../../core/localclient/index.js';

export class StatusRecorder {
  readonly seen: Status[] = [];
  readonly lines: string[] = [];
  readonly started: Promise<void>;
  private readonly abort = new AbortController();
  private waiters: Array<() => void> = [];

  constructor(client: LocalClient) {
    let first!: () => void;
    this.started = new Promise((r) => {
      first = r;
    });
    void (async () => {
      for await (const s of client.watch({ signal: this.abort.signal })) {
        this.seen.push(s);
        this.lines.push(JSON.stringify(s));
        if (this.seen.length === 1) first();
        for (const w of this.waiters.splice(0)) w();
      }
    })();
  }

  /** The states in order, consecutive repeats collapsed. */
  states(): string[] {
    return this.seen.map((s) => s.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  }

  /** How many Status lines arrived so far: pass it to `until` to look only at later ones. */
  mark(): number {
    return this.seen.length;
  }

  /** Resolves with the first Status from index `from` on (seen or coming) that matches, within `ms`. */
  async until(match: (s: Status) => boolean, from = 0, ms = 5000): Promise<Status> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.seen.slice(from).find(match);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching status; states: ${this.states().join(' → ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  stop(): void {
    this.abort.abort();
  }
}

const TOKEN_RE = /viw_(at|bg|pw|tx|et)_[A-Za-z0-9_-]{43}/;
const MARKERS = ['BEGIN PRIVATE KEY', 'OpenVPN Static key', 'BEGIN EC PRIVATE KEY'];

/** Asserts that no haystack holds a secret, a token of any kind, or key bytes in any common encoding. */
export function searchSecrets(
  haystacks: Record<string, string>,
  secrets: { strings: readonly string[]; keys: readonly Uint8Array[] },
): void {
  const needles: string[] = [];
  for (const s of secrets.strings) {
    needles.push(s);
    // Multi-line PEM secrets are searched line by line too.
    needles.push(...s.split('\n').filter((l) => l.length >= 32));
  }
  for (const k of secrets.keys) {
    const b = Buffer.from(k);
    needles.push(b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), b.toString('hex'));
  }
  for (const [where, text] of Object.entries(haystacks)) {
    assert.ok(text.length > 0, `${where}: nothing captured`);
    assert.ok(!TOKEN_RE.test(text), `${where}: holds a token`);
    for (const m of MARKERS) assert.ok(!text.includes(m), `${where}: holds "${m}"`);
    needles.forEach((n, i) => {
      assert.ok(n.length >= 6 && !text.includes(n), `${where}: holds secret #${i}`);
    });
  }
}
