// How viworks-gw starts, restarts, reloads and inspects the three gateway services, whatever runs
// them: 'direct' (viworks-gw daemonizes them and tracks pid files; labs and containers) or
// 'systemd' (units; production nodes).
import type { GatewayService } from '../../core/gateway/control.js';
import type { NodeConfig } from '../node-config.js';
import { DirectServices } from './direct.js';
import { SystemdServices } from './systemd.js';

export interface ServiceManager {
  /** The running PID, or null. */
  pid(service: GatewayService): number | null;
  /** Starts it, or restarts it when running; resolves once it is up (VIW_E_GATEWAY_COMMAND if not). */
  restart(service: GatewayService): Promise<void>;
  /** Asks a running service to reread its files (SIGHUP); false when it is not running. */
  reload(service: GatewayService): Promise<boolean>;
}

export function serviceManager(config: NodeConfig): ServiceManager {
  return config.service_mode === 'systemd' ? new SystemdServices(config) : new DirectServices(config);
}
