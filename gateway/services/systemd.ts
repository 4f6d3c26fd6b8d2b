// 'systemd' service mode: the units own the daemons (hardening, restarts, journald); viworks-gw only
// asks systemctl. Not exercised by the lab tests (no systemd in the test containers).
import { execFileSync } from 'node:child_process';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { NodeConfig } from '../node-config.js';
import { UNIT_NAMES } from '../render/systemd-units.js';
import type { NodeDaemon, ServiceManager } from './service-manager-types.js';

const SYSTEMCTL = '/usr/bin/systemctl';
/** Unit names as rendered by gateway/render/systemd-units.ts. */
const SYSTEMD_UNITS: Record<NodeDaemon, string> = UNIT_NAMES;

function systemctl(args: readonly string[]): string {
  return execFileSync(SYSTEMCTL, args, { encoding: 'utf8', timeout: 60_000, env: { PATH: '/usr/bin:/bin' } });
}

export class SystemdServices implements ServiceManager {
  constructor(readonly config: NodeConfig) {}

  pid(service: NodeDaemon): number | null {
    try {
      const pid = Number(systemctl(['show', '-p', 'MainPID', '--value', SYSTEMD_UNITS[service]]).trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  async restart(service: NodeDaemon): Promise<void> {
    try {
      systemctl(['restart', SYSTEMD_UNITS[service]]);
    } catch (err) {
      throw new ViworksError('VIW_E_GATEWAY_COMMAND', {
        message: `${service} failed to restart`,
        cause: err,
      });
    }
  }

  async reload(service: NodeDaemon): Promise<boolean> {
    if (this.pid(service) === null) return false;
    systemctl(['kill', '-s', 'HUP', '--kill-who=main', SYSTEMD_UNITS[service]]);
    return true;
  }

  async stop(service: NodeDaemon): Promise<void> {
    try {
      systemctl(['stop', SYSTEMD_UNITS[service]]);
    } catch (err) {
      throw new ViworksError('VIW_E_GATEWAY_COMMAND', { message: `${service} failed to stop`, cause: err });
    }
  }
}
