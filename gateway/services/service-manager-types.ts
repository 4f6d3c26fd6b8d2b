// What a service manager can do, apart from the factory in service-manager.ts, so the two
// implementations (direct.ts, systemd.ts) and the factory that picks one do not import each other.
import type { GatewayService } from '../../core/gateway/control.js';

export interface ServiceManager {
  /** The running PID, or null. */
  pid(service: GatewayService): number | null;
  /** Starts it, or restarts it when running; resolves once it is up (VIW_E_GATEWAY_COMMAND if not). */
  restart(service: GatewayService): Promise<void>;
  /** Asks a running service to reread its files (SIGHUP); false when it is not running. */
  reload(service: GatewayService): Promise<boolean>;
}
