// Where each service's pid file and log live on this node, in one place for the service manager,
// health and pull_logs.
import { join } from 'node:path';
import type { GatewayService } from '../../core/gateway/control.js';
import type { NodeConfig } from '../node-config.js';

/**
 * fwknopd 2.6.10 has no log-file option: daemonized it logs to syslog only. In direct mode we run it
 * with --foreground in its own session with stdout/stderr appended to this file, which gives
 * pull_logs a source without depending on a syslog daemon.
 */
export const fwknopdLog = (config: NodeConfig): string => join(config.state_dir, 'fwknopd.log');
export const fwknopdPid = (config: NodeConfig): string =>
  join(config.facts.paths.fwknopRunDir, 'fwknopd.pid');

export function pidFileOf(config: NodeConfig, service: GatewayService): string {
  const p = config.facts.paths;
  switch (service) {
    case 'fwknopd':
      return fwknopdPid(config);
    case 'stunnel':
      return p.stunnelPid;
    case 'openvpn':
      return p.openvpnPid;
  }
}

export function binaryOf(config: NodeConfig, service: GatewayService): string {
  return config.binaries[service];
}
