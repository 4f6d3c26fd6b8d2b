// health: what the backend's monitor needs to see drift and outages at a glance — which services
// run, the config_id last applied completely, connected sessions, enrolled device count, version,
// and per authorized session which policy version its forwarding rules carry (session_filter) and
// whether the forwarding table is in the kernel at all: with both, the backend can show per
// gateway whether the current policy version is in effect.
import { type HealthResult, healthResult, SIEM_FORWARDER } from '../../core/gateway/control.js';
import { packageVersion } from '../../core/version.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { forwardTableLoaded } from '../firewall/nft.js';
import { FRONT_DOOR_SERVICE } from '../front-door/paths.js';
import { OBSERVER_SERVICE } from '../observe/observer-paths.js';
import { connectedSessions } from '../openvpn/management.js';
import { serviceManager } from '../services/service-manager.js';
import type { NodeDaemon } from '../services/service-manager-types.js';
import { readApplied, readSessions, readSpaKeys } from '../state/node-state.js';
import { viewerPaths } from './browser-paths.js';
import { readBrowsers } from './browser-record.js';
import { nginxPid } from './viewer-nginx.js';

function viewerHealth(stateDir: string) {
  const pid = nginxPid(viewerPaths(stateDir));
  return { running: pid !== null, pid };
}

export async function health(ctx: VerbContext): Promise<VerbOutcome> {
  const manager = serviceManager(ctx.config);
  const applied = readApplied(ctx.config.state_dir);
  const service = (s: NodeDaemon) => {
    const pid = manager.pid(s);
    return { running: pid !== null, pid };
  };
  const openvpn = service('openvpn');
  const result: HealthResult = {
    version: packageVersion(),
    config_id: applied.config_id,
    services: {
      fwknopd: service('fwknopd'),
      stunnel: service('stunnel'),
      openvpn,
      // The SIEM forwarder only where the backend configured one; then a stopped one is an outage.
      ...(applied.settings?.siem ? { rsyslog: service(SIEM_FORWARDER) } : {}),
      // The data-plane normalizer runs beside the forwarder and is reported like it.
      ...(applied.settings?.siem ? { observer: service(OBSERVER_SERVICE) } : {}),
      // The front door's capture runs from the first apply_config on; before it, nothing is expected.
      ...(applied.settings ? { front_door: service(FRONT_DOOR_SERVICE) } : {}),
      // The browsers' viewer while some session has a browser: then a stopped nginx is an outage.
      ...(Object.keys(readBrowsers(ctx.config.state_dir).browsers).length > 0
        ? { viewer: viewerHealth(ctx.config.state_dir) }
        : {}),
    },
    sessions: openvpn.running ? await connectedSessions(ctx.config.facts.paths.openvpnMgmtSocket) : [],
    spa_keys: Object.keys(readSpaKeys(ctx.config.state_dir).devices).length,
    forwarding: {
      table_loaded: await forwardTableLoaded(ctx.config),
      sessions: Object.entries(readSessions(ctx.config.state_dir).sessions)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([session, rec]) => ({
          session,
          address: rec.address ?? null,
          policy: rec.filter?.policy ?? null,
        })),
    },
  };
  // Our own reply must meet the contract the backend validates it against.
  return { changed: false, result: healthResult.parse(result, 'VIW_E_INTERNAL') };
}
