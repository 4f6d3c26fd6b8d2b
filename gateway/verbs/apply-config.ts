// apply_config: the node's whole configuration from typed settings + PKI material. Order:
// 1. check the material and render every file in memory — any failure here changes nothing;
// 2. write the files (keys 0600, certificates/CA/CRL and non-secret configs 0644), remember the
//    settings (spa_key_add renders access.conf from them);
// 3. re-pin every session's VPN address in the (possibly new) pool and its CCD, load the
//    per-session forwarding table (nftables) whole from the state, then the iptables baseline;
// 4. (re)start each service whose inputs differ from what it last started with, or that is down —
//    OpenVPN first, then stunnel in front of it, then fwknopd (the knock) last; reload instead of
//    restart where a reread suffices (access.conf → fwknopd, CRL → stunnel);
// 5. our node programs, (re)started the same way: the front door's ClientHello capture
//    (viworks-gw-frontdoor), always; the SIEM forwarder (rsyslogd) and the data-plane normalizer it
//    ships (viworks-gw-observe) while settings.siem is present — without it, those two are stopped
//    and their files (config, credentials, queue, read positions; the normalizer's cursors and
//    events) removed;
// 6. record config_id only when everything above succeeded (health shows it: the backend sees drift).
// Same config_id, same files, all services up → changed:false, nothing touched.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import {
  type ApplyConfigInput,
  GATEWAY_SERVICES,
  type GatewayService,
  SIEM_FORWARDER,
} from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { applyFirewall } from '../firewall/apply-firewall.js';
import { ensureIpForwarding } from '../firewall/ip-forward.js';
import { forwardTableLoaded } from '../firewall/nft.js';
import { rebuildForwardTable } from '../firewall/session-forwarding.js';
import { renderFrontDoorConf } from '../front-door/front-door-config.js';
import { FRONT_DOOR_SERVICE, frontDoorPaths } from '../front-door/paths.js';
import type { NodeConfig } from '../node-config.js';
import { renderObserverConf } from '../observe/observer-config.js';
import { OBSERVER_SERVICE, observerPaths } from '../observe/observer-paths.js';
import { renderFwknopdConf } from '../render/fwknopd-conf.js';
import { renderIptablesRules } from '../render/iptables-rules.js';
import { forwarderPaths } from '../render/node-facts.js';
import { renderOpenVpnServerConf } from '../render/openvpn-server-conf.js';
import { renderRsyslogConf } from '../render/rsyslog-conf.js';
import { renderStunnelConf } from '../render/stunnel-conf.js';
import { serviceManager } from '../services/service-manager.js';
import type { NodeDaemon, ServiceManager } from '../services/service-manager-types.js';
import { ensureParentDir, readIfExists, writeFileAtomic, writeFileIfChanged } from '../state/atomic-file.js';
import { readApplied, readSessions, readSpaKeys, writeApplied, writeSessions } from '../state/node-state.js';
import { renderAccessFor } from './access-file.js';
import { repinCcd } from './ccd-file.js';
import { checkMaterial, checkSiemMaterial } from './material.js';
import { pinAll } from './session-address.js';
import { ccdPath } from './sessions.js';

interface PlannedFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  /** The service that must restart when this file changes (null: reread or not a service input). */
  readonly restarts: NodeDaemon | null;
}

const file = (path: string, content: string, mode: number, restarts: NodeDaemon | null): PlannedFile => ({
  path,
  content,
  mode,
  restarts,
});

/**
 * The forwarder's config and credentials and the normalizer's config (all 0600 in their 0700 dirs);
 * none without a SIEM target.
 */
function forwarderFiles(config: NodeConfig, input: ApplyConfigInput): PlannedFile[] {
  const { siem } = input.settings;
  checkSiemMaterial(siem, input.material);
  const m = input.material.siem;
  if (!siem || !m) return [];
  const p = forwarderPaths(config.state_dir);
  const local = { stateDir: config.state_dir, auditLog: config.audit_log };
  return [
    file(p.conf, renderRsyslogConf(siem, config.facts, local), 0o600, SIEM_FORWARDER),
    file(p.caFile, m.ca_pem, 0o600, SIEM_FORWARDER),
    file(p.certFile, m.cert_pem, 0o600, SIEM_FORWARDER),
    file(p.keyFile, m.key_pem, 0o600, SIEM_FORWARDER),
    file(
      observerPaths(config.state_dir).conf,
      renderObserverConf(config, input.settings),
      0o600,
      OBSERVER_SERVICE,
    ),
  ];
}

/** Every file of the node, rendered in memory. Throws (changing nothing) on any bad input. */
function planFiles(config: NodeConfig, input: ApplyConfigInput): PlannedFile[] {
  const { settings, material: m } = input;
  const f = config.facts;
  const p = f.paths;
  const crl = checkMaterial(m).crlBundle;
  return [
    file(p.openvpnConf, renderOpenVpnServerConf(settings, f), 0o644, 'openvpn'),
    file(p.openvpnCa, m.client_ca_pem, 0o644, 'openvpn'),
    file(p.openvpnCert, m.openvpn_cert_pem, 0o644, 'openvpn'),
    file(p.openvpnKey, m.openvpn_key_pem, 0o600, 'openvpn'),
    file(p.tlsCryptKey, m.tls_crypt_key, 0o600, 'openvpn'),
    file(p.stunnelConf, renderStunnelConf(settings, f), 0o644, 'stunnel'),
    file(p.stunnelCert, m.tls_cert_pem, 0o644, 'stunnel'),
    file(p.stunnelKey, m.tls_key_pem, 0o600, 'stunnel'),
    file(p.clientCa, m.client_ca_pem, 0o644, 'stunnel'),
    // OpenVPN rereads crl-verify on every handshake; stunnel rereads CRLfile on SIGHUP.
    file(p.crl, crl, 0o644, null),
    file(p.fwknopdConf, renderFwknopdConf(settings, f), 0o600, 'fwknopd'),
    // fwknopd rereads access.conf on SIGHUP; keys come from spa_key_add, not from this request.
    file(p.accessConf, renderAccessFor(readSpaKeys(config.state_dir), settings), 0o600, null),
    file(p.iptablesRules, renderIptablesRules(settings, f), 0o600, null),
    file(
      frontDoorPaths(config.state_dir).conf,
      renderFrontDoorConf(config, settings),
      0o600,
      FRONT_DOOR_SERVICE,
    ),
    ...forwarderFiles(config, input),
  ];
}

/** sha256 over a service's input files (path and content): "what it last started with". */
function inputDigest(files: readonly PlannedFile[], service: NodeDaemon): string {
  const h = createHash('sha256');
  for (const f of files.filter((x) => x.restarts === service)) h.update(`${f.path}\0${f.content}\0`);
  return h.digest('hex');
}

const START_ORDER: readonly GatewayService[] = ['openvpn', 'stunnel', 'fwknopd'];

/**
 * Every session keeps (or, when the pool changed or it was authorized before the node had one,
 * gets) an address of the pool, pinned in its CCD; then the forwarding table is loaded whole from
 * the state (a table lost to a reboot is back; health's `table_loaded` shows it was gone). Returns
 * what changed.
 */
async function reconcileSessions(config: NodeConfig, input: ApplyConfigInput) {
  const sessions = readSessions(config.state_dir);
  const pins = pinAll(sessions, input.settings);
  const stateChanged = writeSessions(config.state_dir, sessions);
  let repinned = 0;
  for (const [id, pin] of pins) {
    const ccd = readIfExists(ccdPath(config, id));
    // A record without its CCD is a session being removed (or pruned next): nothing to pin.
    if (ccd && writeFileIfChanged(ccdPath(config, id), repinCcd(ccd.toString('utf8'), pin), 0o644))
      repinned++;
  }
  const tableWasLoaded = await forwardTableLoaded(config);
  await rebuildForwardTable(config, sessions);
  return { changed: stateChanged || repinned > 0 || !tableWasLoaded, repinned };
}

/** Private dirs stay private even if something widened them. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * One of the services apply_config runs after the three daemons — our capture, the SIEM forwarder,
 * the normalizer — and its private directory.
 */
interface NodeProgram {
  readonly service: typeof FRONT_DOOR_SERVICE | typeof SIEM_FORWARDER | typeof OBSERVER_SERVICE;
  readonly dir: string;
  /** sha256 of the inputs it runs with, kept beside it (applied.json knows only the three daemons). */
  readonly startedWith: string;
  /** Directories it needs before it starts. */
  readonly dirs: readonly string[];
}

/** In start order: the front door's capture (it watches stunnel, up by now), then the shipping pair. */
function nodePrograms(config: NodeConfig): NodeProgram[] {
  const d = frontDoorPaths(config.state_dir);
  const f = forwarderPaths(config.state_dir);
  const o = observerPaths(config.state_dir);
  return [
    { service: FRONT_DOOR_SERVICE, dir: d.dir, startedWith: d.startedWith, dirs: [] },
    { service: SIEM_FORWARDER, dir: f.dir, startedWith: f.startedWith, dirs: [f.workDir] },
    { service: OBSERVER_SERVICE, dir: o.dir, startedWith: o.startedWith, dirs: [] },
  ];
}

/** True when this request plans the program's files (the shipping pair only with a SIEM target). */
const isPlanned = (s: NodeProgram, files: readonly PlannedFile[]) =>
  files.some((f) => f.restarts === s.service);

/**
 * Each program runs what was planned (restarted when its inputs changed or it is down); one not
 * planned — the forwarder and the normalizer without a SIEM target — is stopped and its directory
 * removed: the forwarder's key, the SIEM's CA, the queue and imfile's read positions, the normalizer's
 * cursors and events.
 */
async function reconcileProgram(s: NodeProgram, files: readonly PlannedFile[], manager: ServiceManager) {
  const running = manager.pid(s.service) !== null;
  if (!isPlanned(s, files)) {
    if (running) await manager.stop(s.service);
    const existed = existsSync(s.dir);
    rmSync(s.dir, { recursive: true, force: true });
    return { configured: false, restarted: false, stopped: running || existed };
  }
  const digest = inputDigest(files, s.service);
  if (running && readIfExists(s.startedWith)?.toString('utf8') === `${digest}\n`) {
    return { configured: true, restarted: false, stopped: false };
  }
  for (const dir of s.dirs) ensurePrivateDir(dir);
  await manager.restart(s.service);
  writeFileAtomic(s.startedWith, `${digest}\n`, 0o600);
  return { configured: true, restarted: true, stopped: false };
}

export async function applyConfig(ctx: VerbContext): Promise<VerbOutcome> {
  const input = ctx.input as ApplyConfigInput;
  const { config } = ctx;
  const files = planFiles(config, input);

  mkdirSync(config.facts.paths.ccdDir, { recursive: true, mode: 0o755 });
  mkdirSync(config.facts.paths.fwknopRunDir, { recursive: true, mode: 0o700 });
  for (const s of nodePrograms(config)) if (isPlanned(s, files)) ensurePrivateDir(s.dir);
  const written = new Set<string>();
  for (const f of files) {
    ensureParentDir(f.path);
    if (writeFileIfChanged(f.path, f.content, f.mode)) written.add(f.path);
  }
  const state = readApplied(config.state_dir);
  const configChanged = state.config_id !== input.config_id;
  writeApplied(config.state_dir, {
    ...state,
    config_id: configChanged ? null : state.config_id,
    settings: input.settings,
  });

  // The forwarding table before the iptables baseline that defers to its mark: in between,
  // nothing new is forwarded rather than too much.
  const sessions = await reconcileSessions(config, input);
  const jumpAdded = await applyFirewall(config);
  // Forwarding for the tunnel is the node's job; what may pass is the forwarding table's decision
  // (per session, possibly networks beyond push_routes), so it is switched on whatever the routes.
  ensureIpForwarding(true);

  const manager = serviceManager(config);
  const restarted: NodeDaemon[] = [];
  for (const service of START_ORDER) {
    const digest = inputDigest(files, service);
    const current = readApplied(config.state_dir);
    if (current.services[service] === digest && manager.pid(service) !== null) continue;
    await manager.restart(service);
    restarted.push(service);
    writeApplied(config.state_dir, { ...current, services: { ...current.services, [service]: digest } });
  }
  const reloaded: GatewayService[] = [];
  const p = config.facts.paths;
  if (written.has(p.accessConf) && !restarted.includes('fwknopd') && (await manager.reload('fwknopd')))
    reloaded.push('fwknopd');
  if (written.has(p.crl) && !restarted.includes('stunnel') && (await manager.reload('stunnel')))
    reloaded.push('stunnel');

  const stopped: NodeDaemon[] = [];
  const programs: Partial<Record<NodeDaemon, boolean>> = {};
  for (const s of nodePrograms(config)) {
    const outcome = await reconcileProgram(s, files, manager);
    if (outcome.restarted) restarted.push(s.service);
    if (outcome.stopped) stopped.push(s.service);
    if (outcome.configured) programs[s.service] = manager.pid(s.service) !== null;
  }

  writeApplied(config.state_dir, { ...readApplied(config.state_dir), config_id: input.config_id });
  const changed =
    configChanged ||
    written.size > 0 ||
    jumpAdded ||
    restarted.length > 0 ||
    stopped.length > 0 ||
    sessions.changed;
  const services: Partial<Record<NodeDaemon, boolean>> = {
    ...Object.fromEntries(GATEWAY_SERVICES.map((s) => [s, manager.pid(s) !== null])),
    ...programs,
  };
  return {
    changed,
    result: {
      config_id: input.config_id,
      files_written: written.size,
      sessions_repinned: sessions.repinned,
      restarted,
      reloaded,
      stopped,
      services,
    },
  };
}
