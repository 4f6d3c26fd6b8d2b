// How viworks-gw starts, restarts, reloads, stops and inspects the node's services (the three gateway
// daemons and the SIEM forwarder), whatever runs them: 'direct' (viworks-gw daemonizes them and
// tracks pid files; labs and containers) or 'systemd' (units; production nodes).
import type { NodeConfig } from '../node-config.js';
import { DirectServices } from './direct.js';
import type { ServiceManager } from './service-manager-types.js';
import { SystemdServices } from './systemd.js';

export function serviceManager(config: NodeConfig): ServiceManager {
  return config.service_mode === 'systemd' ? new SystemdServices(config) : new DirectServices(config);
}
