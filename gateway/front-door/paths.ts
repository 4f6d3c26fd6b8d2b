// Where the front-door capture writes its hello lines: beside fwknopd's log in the node's state dir
// (gateway/render/node-facts.ts fwknopdLogIn), a file only root reads (0600), which pull_logs reads
// forward with a cursor like the daemons' logs (source `hello`).
import { join } from 'node:path';
import type { NodeConfig } from '../node-config.js';
import { checkPath } from '../render/values.js';

export const HELLO_LOG_NAME = 'front-door-hellos.jsonl';

export function helloLogIn(stateDir: string): string {
  return join(checkPath('state_dir', stateDir), HELLO_LOG_NAME);
}

export const frontDoorHelloLog = (config: NodeConfig): string => helloLogIn(config.state_dir);
