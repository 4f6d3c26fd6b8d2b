// What a service manager can do, apart from the factory in service-manager.ts, so the two
// implementations (direct.ts, systemd.ts) and the factory that picks one do not import each other.
import type { NodeService } from '../../core/gateway/control.js';
import type { FRONT_DOOR_SERVICE } from '../front-door/paths.js';
import type { OBSERVER_SERVICE } from '../observe/observer-paths.js';

/**
 * Everything the node runs: the three gateway daemons, the front door's ClientHello capture
 * (viworks-gw-frontdoor), the SIEM forwarder and, beside it, the data-plane normalizer
 * (viworks-gw-observe). The last two are our own Node programs, not in the control contract's
 * NodeService.
 */
export type NodeDaemon = NodeService | typeof OBSERVER_SERVICE | typeof FRONT_DOOR_SERVICE;

export interface ServiceManager {
  /** The running PID, or null. */
  pid(service: NodeDaemon): number | null;
  /** Starts it, or restarts it when running; resolves once it is up (VIW_E_GATEWAY_COMMAND if not). */
  restart(service: NodeDaemon): Promise<void>;
  /** Asks a running service to reread its files (SIGHUP); false when it is not running. */
  reload(service: NodeDaemon): Promise<boolean>;
  /** Stops it (SIGTERM, SIGKILL after a grace period); resolves once it is gone. No-op when down. */
  stop(service: NodeDaemon): Promise<void>;
}
