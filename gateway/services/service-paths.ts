// Where each service's pid file and log live on this node, and which binary runs it, in one place
// for the service manager, health and pull_logs.
import { join } from 'node:path';
import type { NodeService } from '../../core/gateway/control.js';
import type { DataplaneSource } from '../../core/gateway/dataplane/index.js';
import { FRONT_DOOR_COMM, FRONT_DOOR_SERVICE, frontDoorPaths } from '../front-door/paths.js';
import type { NodeConfig } from '../node-config.js';
import { OBSERVER_COMM, OBSERVER_SERVICE, observerPaths } from '../observe/observer-paths.js';
import { forwarderPaths, fwknopdLogIn } from '../render/node-facts.js';
import { commNames } from './process-check.js';
import type { NodeDaemon } from './service-manager-types.js';

/** Debian's rsyslog; gw.json has no entry for it (yet), so the forwarder runs this one. */
export const RSYSLOGD_BIN = '/usr/sbin/rsyslogd';

/**
 * fwknopd 2.6.10 has no log-file option: daemonized it logs to syslog only. In direct mode we run it
 * with --foreground in its own session with stdout/stderr appended to this file, which gives
 * pull_logs (and the SIEM forwarder) a source without depending on a syslog daemon.
 */
export const fwknopdLog = (config: NodeConfig): string => fwknopdLogIn(config.state_dir);
export const fwknopdPid = (config: NodeConfig): string =>
  join(config.facts.paths.fwknopRunDir, 'fwknopd.pid');

/** The log each data-plane daemon writes (what pull_logs and the normalizer read forward). */
export function daemonLogs(config: NodeConfig): Record<DataplaneSource, string> {
  return {
    fwknopd: fwknopdLog(config),
    stunnel: config.facts.paths.stunnelLog,
    openvpn: config.facts.paths.openvpnLog,
  };
}

export function pidFileOf(config: NodeConfig, service: NodeDaemon): string {
  const p = config.facts.paths;
  switch (service) {
    case 'fwknopd':
      return fwknopdPid(config);
    case 'stunnel':
      return p.stunnelPid;
    case 'openvpn':
      return p.openvpnPid;
    case 'rsyslog':
      return forwarderPaths(config.state_dir).pid;
    case OBSERVER_SERVICE:
      return observerPaths(config.state_dir).pid;
    case FRONT_DOOR_SERVICE:
      return frontDoorPaths(config.state_dir).pid;
  }
}

export function binaryOf(config: NodeConfig, service: NodeService): string {
  return service === 'rsyslog' ? RSYSLOGD_BIN : config.binaries[service];
}

/** What /proc/<pid>/comm may show for the service (our Node programs name themselves; node would be anyone). */
export function commNamesOf(config: NodeConfig, service: NodeDaemon): string[] {
  if (service === OBSERVER_SERVICE) return [OBSERVER_COMM];
  if (service === FRONT_DOOR_SERVICE) return [FRONT_DOOR_COMM];
  return commNames(binaryOf(config, service));
}
