// Where the browser sessions of this node live and what they are bound to, derived from gw.json's
// state_dir and the applied settings (gw.json has no browser section: these defaults are the node's
// only choice for now).
//
// - `state_dir/browser/`: the sandboxes' own state (gateway/browser/, one file per session);
// - `state_dir/viewer/` (0700): nginx's config, pid file, temp files and one location file per
//   session — those name the random paths, so only root reads them;
// - `state_dir/viewer-access.jsonl`: nginx's access log, beside the node's other logs (fwknopd.log,
//   the front door's hellos); it names sessions, never paths.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { GatewaySettings } from '../../core/gateway/control.js';
import type { BrowserPaths } from '../browser/names.js';
import { SANDBOX_POOL, VIEWER_HTTP_PORT, vpnServerAddress } from '../firewall/browser-viewer.js';
import { overlaps, parseNet, vpnPool } from '../firewall/ipv4.js';
import type { NodeConfig } from '../node-config.js';
import { type ViewerServerConf, viewerAccessLogIn } from '../render/nginx-conf.js';
import { checkPath } from '../render/values.js';

export { SANDBOX_POOL, VIEWER_HTTP_PORT, vpnServerAddress };
/** Debian's nginx; gw.json has no entry for it (yet). */
export const NGINX_BIN = '/usr/sbin/nginx';
/** nginx's workers: not `nobody`, which the sandboxed browsers run as. */
const NGINX_WORKER_USER = { user: 'www-data', group: 'www-data' } as const;

export interface ViewerPaths {
  readonly dir: string;
  readonly conf: string;
  readonly pidFile: string;
  readonly tempDir: string;
  readonly locationsDir: string;
  readonly accessLog: string;
}

export function viewerPaths(stateDir: string): ViewerPaths {
  const dir = join(checkPath('state_dir', stateDir), 'viewer');
  return {
    dir,
    conf: join(dir, 'nginx.conf'),
    pidFile: join(dir, 'nginx.pid'),
    tempDir: join(dir, 'tmp'),
    locationsDir: join(dir, 'locations'),
    accessLog: viewerAccessLogIn(stateDir),
  };
}

export const locationFile = (paths: ViewerPaths, sessionId: string): string =>
  join(paths.locationsDir, `${sessionId}.conf`);

export function viewerServerConf(config: NodeConfig, settings: GatewaySettings): ViewerServerConf {
  const p = viewerPaths(config.state_dir);
  return {
    listenAddress: vpnServerAddress(settings),
    port: VIEWER_HTTP_PORT,
    pidFile: p.pidFile,
    accessLog: p.accessLog,
    tempDir: p.tempDir,
    locationsDir: p.locationsDir,
    workerUser: NGINX_WORKER_USER,
  };
}

/** The IPv4 addresses this machine has now (any interface), as /32s. */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === 'IPv4')
    .map((a) => `${a?.address}/32`);
}

/**
 * Networks of the node itself a browser target may never be in, besides what the sandbox code
 * always refuses (loopback, link-local, multicast, reserved) and its own pool: the VPN pool (the
 * node's tunnel side and every session), the node's listen address and every address it has.
 */
export function nodeNetworks(config: NodeConfig, settings: GatewaySettings | null): string[] {
  const nets = new Set([`${config.facts.listenAddress}/32`, ...ownAddresses()]);
  if (settings) nets.add(settings.vpn_network);
  return [...nets].filter((c) => parseNet(c) !== null).sort();
}

/** What gateway/browser/ needs: its state dir, its pool, and the node's networks to refuse. */
export function sandboxPaths(config: NodeConfig, settings: GatewaySettings | null): BrowserPaths {
  if (settings && overlaps(parseNet(SANDBOX_POOL)!, vpnPool(settings.vpn_network).net)) {
    throw new ViworksError('VIW_E_CONFIG', {
      message: `the VPN pool overlaps the browser sandbox pool ${SANDBOX_POOL}`,
    });
  }
  return {
    stateDir: join(checkPath('state_dir', config.state_dir), 'browser'),
    pool: SANDBOX_POOL,
    refusedNetworks: nodeNetworks(config, settings),
  };
}
