// What a service manager can do, apart from the factory in service-manager.ts, so the two
// implementations (direct.ts, systemd.ts) and the factory that picks one do not import each other.
import type { NodeService } from '../../core/gateway/control.js';

export interface ServiceManager {
  /** The running PID, or null. */
  pid(service: NodeService): number | null;
  /** Starts it, or restarts it when running; resolves once it is up (VIW_E_GATEWAY_COMMAND if not). */
  restart(service: NodeService): Promise<void>;
  /** Asks a running service to reread its files (SIGHUP); false when it is not running. */
  reload(service: NodeService): Promise<boolean>;
  /** Stops it (SIGTERM, SIGKILL after a grace period); resolves once it is gone. No-op when down. */
  stop(service: NodeService): Promise<void>;
}
