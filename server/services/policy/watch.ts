// The signal that access may have changed (issue #14): the admin services call changed() after
// every new policy version, assignment or group membership change; the session watcher
// (session-watcher.ts) subscribes and re-evaluates every live session. checkAt() tells it when a
// new session's schedule next changes its answer (a window closing), so it looks again then.
export type PolicyChangeListener = (reason: string) => void;
export type CheckAtListener = (at: Date) => void;

export class PolicyWatch {
  private readonly listeners = new Set<PolicyChangeListener>();
  private readonly checkAtListeners = new Set<CheckAtListener>();

  /** Something that decides access changed; `reason` is for the log (never a secret). */
  changed(reason: string): void {
    for (const l of this.listeners) l(reason);
  }

  /** A live session must be looked at again at `at` (its schedule's next boundary). */
  checkAt(at: Date): void {
    for (const l of this.checkAtListeners) l(at);
  }

  subscribe(listener: PolicyChangeListener, onCheckAt?: CheckAtListener): () => void {
    this.listeners.add(listener);
    if (onCheckAt) this.checkAtListeners.add(onCheckAt);
    return () => {
      this.listeners.delete(listener);
      if (onCheckAt) this.checkAtListeners.delete(onCheckAt);
    };
  }
}
