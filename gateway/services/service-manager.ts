// How viworks-gw starts, restarts, reloads and inspects the three gateway services, whatever runs
// them: 'direct' (viworks-gw daemonizes them and tracks pid files; labs and containers) or
// 'systemd' (units; production nodes).
import type { NodeConfig } from '../node-config.js';
import { DirectServices } from './direct.js';
import type { ServiceManager } from './service-manager-types.js';
import { SystemdServices } from './systemd.js';

export function serviceManager(config: NodeConfig): ServiceManager {
  return config.service_mode === 'systemd' ? new SystemdServices(config) : new DirectServices(config);
}
