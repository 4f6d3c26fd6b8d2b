// Composition root of viworksd: key store → engine (with its plug-ins) → local API on the socket.
// bin/viworksd.ts parses flags and calls startDaemon; tests call it directly with a temp socket and
// state directory (and fakes for the TLS proxy and OpenVPN only).
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ProcessPosture } from '../core/api/posture.js';
import { ViworksError } from '../core/errors/viworks-error.js';
import { packageVersion } from '../core/localclient/version.js';
import { UdpSpaSender } from './datapath/spa-sender.js';
import { loadDeviceRecord } from './engine/device-record.js';
import type { DiagnosticsProbes } from './engine/diagnostics.js';
import { Engine, type NetworkProtectionDeps } from './engine/engine.js';
import type { ResolveAll } from './engine/resolve.js';
import type { RestartPolicy } from './engine/restart-policy.js';
import { SystemPreflight } from './engine/system-preflight.js';
import type {
  OpenVpnStarter,
  Preflight,
  PreflightCheck,
  SpaSender,
  TlsProxyStarter,
} from './engine/types.js';
import type { KeyStore } from './keystore/keystore.js';
import { type KeyStoreChoice, selectKeyStore } from './keystore/select.js';
import { type LocalApi, type LocalEdgeLimits, startLocalApi } from './localapi/server.js';
import { DaemonLog } from './log/daemon-log.js';

export interface DaemonOptions {
  readonly socketPath: string;
  readonly stateDir: string;
  readonly keyStore?: KeyStore;
  readonly keyStoreChoice?: KeyStoreChoice;
  /** The TPM 2.0's TCTI (tpm2-tools syntax); default device:/dev/tpmrm0 when it exists. */
  readonly tpm2Tcti?: string;
  readonly tls?: TlsProxyStarter;
  readonly openvpn?: OpenVpnStarter;
  readonly spa?: SpaSender;
  readonly preflight?: Preflight;
  /** Host → IPv4 addresses (gateway FQDN, backend name); default the system resolver. */
  readonly resolveAll?: ResolveAll;
  /** One-address form of resolveAll (kept for the daemon memory bench's child); resolveAll wins. */
  readonly resolveHost?: (host: string) => Promise<string>;
  /** OpenVPN restart budget and backoff (tests shorten the delays). */
  readonly restartPolicy?: RestartPolicy;
  readonly log?: DaemonLog;
  /** Socket group (default `viworks`). */
  readonly group?: string;
  /** Where GET /v1/diagnostics reads the machine (tests inject facts); default the real one. */
  readonly diagnostics?: DiagnosticsProbes;
  /** Local API time limits (default LOCAL_EDGE_LIMITS; tests shorten them). */
  readonly localApiLimits?: LocalEdgeLimits;
  /** Kill switch, pushed DNS, leak checks, captive portal probe; absent: not managed (tests). */
  readonly network?: NetworkProtectionDeps;
  /** The process hardening applied before the start (daemon/hardening/); absent: none. */
  readonly posture?: ProcessPosture;
}

export interface RunningDaemon {
  readonly engine: Engine;
  readonly api: LocalApi;
  readonly log: DaemonLog;
  /** Disconnects (best effort), wipes secrets, closes the socket and removes it. */
  close(): Promise<void>;
}

export const DAEMON_VERSION = packageVersion();

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const log = o.log ?? new DaemonLog();
  const keyStore =
    o.keyStore ??
    (await selectKeyStore({
      stateDir: o.stateDir,
      choice: o.keyStoreChoice ?? 'auto',
      // An enrolled device keeps the store its keys are in (a damaged record: the engine says so).
      enrolledStore: (await loadDeviceRecord(o.stateDir).catch(() => null))?.key_store,
      ...(o.tpm2Tcti ? { tpm2Tcti: o.tpm2Tcti } : {}),
      log: (line) => log.info(line),
    }));
  const tls = o.tls ?? NO_TLS_PROXY;
  const openvpn = o.openvpn ?? NO_OPENVPN;
  const extra: Array<() => Promise<PreflightCheck[]>> = [];
  if (tls.preflight) extra.push(() => tls.preflight!());
  if (openvpn.preflight) extra.push(() => openvpn.preflight!());
  const engine = new Engine({
    stateDir: o.stateDir,
    keyStore,
    log,
    spa: o.spa ?? new UdpSpaSender(),
    tls,
    openvpn,
    preflight: o.preflight ?? new SystemPreflight({ extra }),
    daemonVersion: DAEMON_VERSION,
    platform: desktopPlatform(),
    ...desktopName(),
    ...resolver(o),
    ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    ...(o.diagnostics ? { diagnostics: o.diagnostics } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...(o.posture ? { posture: o.posture } : {}),
  });
  await engine.init();
  const api = await startLocalApi({
    socketPath: o.socketPath,
    engine,
    log,
    daemonVersion: DAEMON_VERSION,
    ...(o.group ? { group: o.group } : {}),
    ...(o.localApiLimits ? { limits: o.localApiLimits } : {}),
  });
  let closing: Promise<void> | null = null;
  return {
    engine,
    api,
    log,
    close: () => {
      closing ??= (async () => {
        await engine.shutdown();
        await api.close();
        await rm(o.socketPath, { force: true });
      })();
      return closing;
    },
  };
}

function resolver(o: DaemonOptions): { resolveAll?: ResolveAll } {
  if (o.resolveAll) return { resolveAll: o.resolveAll };
  const one = o.resolveHost;
  return one ? { resolveAll: async (host) => [await one(host)] } : {};
}

function desktopPlatform(): 'linux' | 'macos' | 'windows' {
  if (process.platform === 'darwin') return 'macos';
  if (process.platform === 'win32') return 'windows';
  return 'linux';
}

/**
 * The name proposed at enrollment (shown on the user's phone with this desktop's logins): the host
 * name without characters the API refuses, at most 64; none when nothing is left.
 */
function desktopName(): { deviceName?: string } {
  const name = hostname()
    .replace(/[\p{C}\p{Zl}\p{Zp}]/gu, '')
    .trim()
    .slice(0, 64)
    .trim();
  return name ? { deviceName: name } : {};
}

/** Placeholders until the real components are wired: connect fails closed with a clear reason. */
const notInThisBuild = (what: string) => async (): Promise<never> => {
  throw new ViworksError('VIW_E_CONFIG', { details: [`${what}: not available in this build`] });
};
const NO_TLS_PROXY: TlsProxyStarter = { start: notInThisBuild('TLS proxy') };
const NO_OPENVPN: OpenVpnStarter = { start: notInThisBuild('OpenVPN runner') };
