// Where the node's data-plane normalizer (viworks-gw-observe, docs/detections.md#on-the-node) keeps
// its files: one 0700 directory in the state dir, owned by it and by apply_config, which writes its
// config while the node ships to a SIEM and removes the directory with the SIEM target.
import { join } from 'node:path';
import { checkPath } from '../render/values.js';

/** Its name among the node's services (health, apply_config's restarted/stopped lists). */
export const OBSERVER_SERVICE = 'observer';
/** What /proc/<pid>/comm shows for it (process.title; the kernel keeps 15 characters). */
export const OBSERVER_COMM = 'viworks-observe';

export interface ObserverPaths {
  readonly dir: string;
  /** Its configuration, rendered by apply_config (0600); present exactly while a SIEM is configured. */
  readonly conf: string;
  /** Direct mode: written by the normalizer itself once it runs (systemd tracks MainPID). */
  readonly pid: string;
  /** Cursors, sequence number, relay ports and a round in flight (0600, replaced atomically). */
  readonly state: string;
  /** The normalized events, one JSON line each (0600); the SIEM forwarder reads it. */
  readonly out: string;
  /** The previous `out` after a size rotation. */
  readonly outRotated: string;
  /** Its own diagnostics (direct mode; systemd sends them to the journal). */
  readonly ownLog: string;
  /** sha256 of the inputs the running normalizer was started with (apply_config's restart decision). */
  readonly startedWith: string;
}

export function observerPaths(stateDir: string): ObserverPaths {
  const dir = join(checkPath('state_dir', stateDir), 'observe');
  const out = join(dir, 'dataplane.jsonl');
  return {
    dir,
    conf: join(dir, 'observer.json'),
    pid: join(dir, 'observer.pid'),
    state: join(dir, 'state.json'),
    out,
    outRotated: `${out}.1`,
    ownLog: join(dir, 'observer.log'),
    startedWith: join(dir, 'started-with.sha256'),
  };
}
