#!/usr/bin/env node
// viworks-gw-observe: the node's data-plane normalizer (gateway/observe/observer.ts), a service the
// node runs beside its SIEM forwarder — started and stopped by viworks-gw apply_config (direct mode:
// daemonized with a pid file; systemd: viworks-gw-observe.service). Its only argument is its config,
// which apply_config renders: `viworks-gw-observe --config <state_dir>/observe/observer.json`.
// SIGTERM/SIGINT: finish the round in progress, save, exit 0.
import { startObserver } from '../observe/observer.js';
import { loadObserverConfig } from '../observe/observer-config.js';
import { OBSERVER_COMM, observerPaths } from '../observe/observer-paths.js';
import { configArg, describeFailure, diagnostics } from '../services/node-program.js';
import { readPidFile, runningPid } from '../services/process-check.js';
import { removeIfExists, writeFileAtomic } from '../state/atomic-file.js';

// First: the service manager recognizes the normalizer by /proc/<pid>/comm.
process.title = OBSERVER_COMM;

const say = diagnostics('viworks-gw-observe');

async function main(): Promise<number> {
  const path = configArg(process.argv.slice(2));
  if (!path) {
    say('usage: viworks-gw-observe --config <observer.json>');
    return 2;
  }
  const config = loadObserverConfig(path);
  const paths = observerPaths(config.state_dir);
  const other = runningPid(paths.pid, [OBSERVER_COMM]);
  if (other !== null && other !== process.pid) {
    say(`already running as ${other}`);
    return 1;
  }
  const observer = startObserver(config, paths, { diagnose: say });
  writeFileAtomic(paths.pid, `${process.pid}\n`, 0o600);
  say(`following the daemon logs of ${config.gateway} from seq ${observer.seq()}`);
  process.on('SIGHUP', () => {}); // nothing to reread: a new config comes with a restart
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await observer.stop();
  if (readPidFile(paths.pid) === process.pid) removeIfExists(paths.pid);
  say(`stopped on ${signal} at seq ${observer.seq()}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`cannot start: ${describeFailure(err)}`);
    process.exit(1);
  },
);
