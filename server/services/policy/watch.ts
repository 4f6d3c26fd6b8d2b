// The signal that access may have changed (issue #14): the admin services call changed() after
// every new policy version, assignment or group membership change (and posture reports call it
// too); the session watcher (session-watcher.ts) subscribes and re-evaluates every live session.
export type PolicyChangeListener = (reason: string) => void;

export class PolicyWatch {
  private readonly listeners = new Set<PolicyChangeListener>();

  /** Something that decides access changed; `reason` is for the log (never a secret). */
  changed(reason: string): void {
    for (const l of this.listeners) l(reason);
  }

  subscribe(listener: PolicyChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
