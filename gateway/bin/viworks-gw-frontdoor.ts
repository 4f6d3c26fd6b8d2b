#!/usr/bin/env node
// viworks-gw-frontdoor: the node's passive ClientHello capture at the front door
// (gateway/front-door/capture.ts), a service the node always runs beside stunnel — started and stopped
// by viworks-gw apply_config (direct mode: daemonized with a pid file; systemd:
// viworks-gw-frontdoor.service). Its only argument is its config, which apply_config renders:
// `viworks-gw-frontdoor --config <state_dir>/front-door/front-door.json`.
// SIGTERM/SIGINT: stop tcpdump, write the lines still queued, exit 0. tcpdump ending on its own ends
// the service with exit 1: health then shows it down and the next apply_config starts it again
// (systemd restarts it at once).
import { startFrontDoorCapture } from '../front-door/capture.js';
import { loadFrontDoorConfig } from '../front-door/front-door-config.js';
import { FRONT_DOOR_COMM, frontDoorPaths } from '../front-door/paths.js';
import { configArg, describeFailure, diagnostics } from '../services/node-program.js';
import { readPidFile, runningPid } from '../services/process-check.js';
import { removeIfExists, writeFileAtomic } from '../state/atomic-file.js';

// First: the service manager recognizes the capture by /proc/<pid>/comm.
process.title = FRONT_DOOR_COMM;

const say = diagnostics('viworks-gw-frontdoor');

async function main(): Promise<number> {
  const path = configArg(process.argv.slice(2));
  if (!path) {
    say('usage: viworks-gw-frontdoor --config <front-door.json>');
    return 2;
  }
  const config = loadFrontDoorConfig(path);
  const paths = frontDoorPaths(config.state_dir);
  const other = runningPid(paths.pid, [FRONT_DOOR_COMM]);
  if (other !== null && other !== process.pid) {
    say(`already running as ${other}`);
    return 1;
  }
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  process.on('SIGHUP', () => {}); // nothing to reread: a new config comes with a restart
  // Problems after the start are said (never a packet's content: the capture reports codes and counts).
  const capture = startFrontDoorCapture({
    port: config.port,
    iface: config.iface,
    out: config.out,
    onError: (err) => say(describeFailure(err)),
  });
  try {
    await capture.ready;
  } catch {
    await capture.stop();
    return 1; // already said through onError
  }
  // Written only once tcpdump listens: a pid file means the front door is being watched.
  writeFileAtomic(paths.pid, `${process.pid}\n`, 0o600);
  say(`watching TCP port ${config.port} on ${config.iface} (tcpdump ${capture.pid})`);
  const outcome = await Promise.race([signalled, capture.ended.then(() => 'ended' as const)]);
  await capture.stop();
  if (readPidFile(paths.pid) === process.pid) removeIfExists(paths.pid);
  if (outcome === 'ended') {
    say('tcpdump ended; exiting so the service shows down');
    return 1;
  }
  say(`stopped on ${outcome}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`cannot start: ${describeFailure(err)}`);
    process.exit(1);
  },
);
