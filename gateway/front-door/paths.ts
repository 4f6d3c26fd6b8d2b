// Where the front door's capture keeps its files. The hello lines go beside fwknopd's log in the node's
// state dir (gateway/render/node-facts.ts fwknopdLogIn), a file only root reads (0600), which pull_logs
// reads forward with a cursor like the daemons' logs (source `hello`) and the data-plane normalizer
// follows; the service's own files (its config, pid file, diagnostics) are in one 0700 directory that
// apply_config owns.
import { join } from 'node:path';
import type { NodeConfig } from '../node-config.js';
import { checkPath } from '../render/values.js';

export const HELLO_LOG_NAME = 'front-door-hellos.jsonl';

export function helloLogIn(stateDir: string): string {
  return join(checkPath('state_dir', stateDir), HELLO_LOG_NAME);
}

export const frontDoorHelloLog = (config: NodeConfig): string => helloLogIn(config.state_dir);

/** Its name among the node's services (health, apply_config's restarted/stopped lists). */
export const FRONT_DOOR_SERVICE = 'front_door';
/** What /proc/<pid>/comm shows for it (process.title; the kernel keeps 15 characters). */
export const FRONT_DOOR_COMM = 'viworks-door';

export interface FrontDoorPaths {
  readonly dir: string;
  /** Its configuration, rendered by apply_config (0600). */
  readonly conf: string;
  /** Direct mode: written by the service itself once tcpdump listens (systemd tracks MainPID). */
  readonly pid: string;
  /** Its own diagnostics (direct mode; systemd sends them to the journal). */
  readonly ownLog: string;
  /** sha256 of the inputs the running service was started with (apply_config's restart decision). */
  readonly startedWith: string;
}

export function frontDoorPaths(stateDir: string): FrontDoorPaths {
  const dir = join(checkPath('state_dir', stateDir), 'front-door');
  return {
    dir,
    conf: join(dir, 'front-door.json'),
    pid: join(dir, 'front-door.pid'),
    ownLog: join(dir, 'front-door.log'),
    startedWith: join(dir, 'started-with.sha256'),
  };
}
