// What protects the user when the network misbehaves (issue #12): the kill switch and the session's
// pushed DNS, with their lifetimes. The engine tells it what happens; it decides what the kernel
// and the resolver configuration must look like, and publishes the Status's `network` part.
//
//   connect, before the knock      protectSession: the switch for this gateway and backend
//   each tunnel up / down          tunnelUp: the pushed DNS on the tunnel link / tunnelDown: restored
//   session end                    endSession(hold): DNS restored; the switch removed (session
//                                  mode), back to standby (always), or HELD after a leak or a lost
//                                  tunnel — until an explicit disconnect (release)
//   daemon start                   init: DNS of a session whose daemon died restored; a switch left
//                                  by it removed (no session survives a restart), or standby (always)
//   daemon stop                    shutdown: like a user's disconnect
//
// The mode (`off` | `session` | `always`) and LAN access persist in a small 0600 file of the state
// directory (nothing secret). Operations run one at a time (nft and the resolver are not
// re-entrant), in the order they were asked for.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from 'typebox';
import type {
  KillSwitchInfo,
  KillSwitchMode,
  KillSwitchRequest,
  NetworkProtection,
} from '../../core/api/local.js';
import { KILL_SWITCH_MODES } from '../../core/api/local.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import type { KillSwitchPlan } from '../datapath/killswitch/ruleset.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** Puts the kill switch's nftables table in place (killswitch/nft-kill-switch.ts). */
export interface KillSwitchDriver {
  install(plan: KillSwitchPlan): Promise<void>;
  remove(): Promise<void>;
  installed(): Promise<boolean>;
}

export interface DnsApply {
  readonly servers: readonly string[];
  readonly searchDomains: readonly string[];
  readonly interfaceName: string;
  /** Every query goes to these servers (a full tunnel), not only the search domains'. */
  readonly fullTunnel: boolean;
}

/** Applies and restores pushed DNS (datapath/dns: systemd-resolved, resolvconf or the file). */
export interface DnsDriver {
  readonly method: 'systemd-resolved' | 'resolvconf' | 'file';
  apply(req: DnsApply): Promise<void>;
  restore(): Promise<void>;
  serversInUse(): Promise<string[]>;
}

/** What the switch lets out between sessions (mode always): the backend, and name resolution. */
export interface StandbyTargets {
  readonly backendAddresses: readonly string[];
  readonly backendPort: number;
  /** The captive portal probe's target, let out so a portal is still detected (none: not probed). */
  readonly captiveProbe?: { readonly addresses: readonly string[]; readonly port: number };
}

/** The session's part of the switch; LAN access and the interface come from the guard. */
export type SessionTargets = Pick<KillSwitchPlan, 'backend' | 'gateway'>;

export interface NetworkGuardOptions {
  readonly stateDir: string;
  /** Null where no kill switch can exist (not Linux, no nft): mode session/always then fails closed. */
  readonly killSwitch: KillSwitchDriver | null;
  /** Null: pushed DNS is not applied here (reported as such). */
  readonly dns: DnsDriver | null;
  readonly tunnelInterface: string;
  readonly log: DaemonLog;
  /**
   * Not managed by this daemon (an embedding without privileges, most tests): the mode is `off`
   * and cannot be changed; a policy that requires the switch is refused.
   */
  readonly unmanaged?: boolean;
  /** Receives the Status's `network` part after every change. */
  readonly publish: (n: NetworkProtection) => void;
}

const SETTINGS_FILE = 'kill-switch.json';
const SettingsSchema = Type.Object(
  { v: Type.Literal(1), mode: Type.Enum(KILL_SWITCH_MODES), allow_lan: Type.Boolean() },
  closed,
);
const settingsValidator = strictValidator(SettingsSchema);
type Settings = { mode: KillSwitchMode; allow_lan: boolean };
const DEFAULT_SETTINGS: Settings = { mode: 'session', allow_lan: false };

export class NetworkGuard {
  private settings: Settings = DEFAULT_SETTINGS;
  private active = false;
  private holding: KillSwitchInfo['holding'] = null;
  private required = false;
  /** The switch of the session in progress (for a mode change or a LAN toggle mid-session). */
  private session: SessionTargets | null = null;
  private dnsInfo: NetworkProtection['dns'] = null;
  private leak: NetworkProtection['leak_check'] = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** The backend's part of the last switch: the standby switch after a session (mode always). */
  private lastBackend: StandbyTargets | null = null;
  private standby: () => Promise<StandbyTargets | null> = async () => null;

  constructor(private readonly o: NetworkGuardOptions) {}

  /** The Status's `network` part now. */
  network(): NetworkProtection {
    return { kill_switch: this.info(), dns: this.dnsInfo, leak_check: this.leak };
  }

  info(): KillSwitchInfo {
    return {
      mode: this.settings.mode,
      allow_lan: this.settings.allow_lan,
      active: this.active,
      holding: this.holding,
      available: this.o.killSwitch !== null,
      required: this.required,
    };
  }

  /**
   * Daemon start: the DNS of a session whose daemon died is restored, and its switch removed — no
   * session survives a restart — unless the mode is `always`, which puts the standby switch in.
   */
  init(standby: () => Promise<StandbyTargets | null>): Promise<void> {
    this.standby = standby;
    return this.serial(async () => {
      if (this.o.unmanaged) {
        this.settings = { mode: 'off', allow_lan: false };
        this.publish();
        return;
      }
      this.settings = await this.readSettings();
      if (this.o.dns) {
        try {
          await this.o.dns.restore();
        } catch (err) {
          this.o.log.error(
            `dns: the configuration of an earlier session could not be restored (${reason(err)})`,
          );
        }
      }
      const ks = this.o.killSwitch;
      if (!ks) return;
      if (this.settings.mode === 'always') {
        await this.installStandby();
      } else if (await ks.installed()) {
        await ks.remove();
        this.o.log.event('killswitch.removed', 'ok', { why: 'no_session_after_restart' });
      }
      this.active = await ks.installed();
      this.publish();
    });
  }

  /** POST /v1/kill-switch: the new mode (and LAN access) take effect now and persist. */
  setMode(req: KillSwitchRequest): Promise<KillSwitchInfo> {
    return this.serial(async () => {
      if (this.o.unmanaged) {
        // Nothing to manage: `off` is already true; anything else cannot be.
        if (req.mode === 'off' && !req.allow_lan) return this.info();
        throw unavailable();
      }
      const next: Settings = { mode: req.mode, allow_lan: req.allow_lan ?? this.settings.allow_lan };
      if (next.mode !== 'off' && !this.o.killSwitch) throw unavailable();
      if (next.mode === 'off' && this.session && this.required) {
        throw new ViworksError('VIW_E_STATE', {
          message: 'The session policy requires the kill switch',
          details: ['kill switch: required by the policy while connected'],
        });
      }
      await this.writeSettings(next);
      this.settings = next;
      if (next.mode === 'off') {
        await this.removeSwitch('mode_off');
      } else if (this.session) {
        await this.installSession(this.session);
      } else if (next.mode === 'always') {
        await this.installStandby();
      } else if (this.holding !== 'after_failure') {
        // `session` with no session: nothing to protect until the next connect.
        await this.removeSwitch('mode_session');
      }
      this.o.log.event('killswitch.mode', 'ok', { mode: next.mode, allow_lan: next.allow_lan });
      this.publish();
      return this.info();
    });
  }

  /** Before the knock: the switch for this session, or VIW_E_KILL_SWITCH (fail closed). */
  protectSession(targets: SessionTargets, required: boolean): Promise<void> {
    return this.serial(async () => {
      this.required = required;
      if (this.settings.mode === 'off') {
        if (required) {
          this.publish();
          throw new ViworksError('VIW_E_KILL_SWITCH', {
            message: 'The session policy requires the kill switch, which is off',
            details: ['turn it on: viworks killswitch on'],
          });
        }
        this.session = targets;
        return;
      }
      if (!this.o.killSwitch) throw unavailable();
      this.session = targets;
      await this.installSession(targets);
    });
  }

  /** A tunnel is up: the pushed DNS goes on its link (nothing when none is pushed). */
  tunnelUp(dns: DnsApply | null): Promise<void> {
    return this.serial(async () => {
      if (!dns || dns.servers.length === 0 || !this.o.dns) {
        if (dns && dns.servers.length > 0)
          this.o.log.warn('dns: pushed servers not applied (no method here)');
        return;
      }
      await this.o.dns.apply(dns);
      this.dnsInfo = {
        method: this.o.dns.method,
        servers: [...dns.servers],
        search_domains: [...dns.searchDomains],
        interface: dns.interfaceName,
      };
      this.o.log.event('dns.applied', 'ok', { method: this.o.dns.method, servers: dns.servers.length });
      this.publish();
    });
  }

  /** The tunnel went down (an OpenVPN crash before a restart, or the session's end): DNS restored. */
  tunnelDown(): Promise<void> {
    return this.serial(() => this.restoreDns());
  }

  /**
   * The session ended. `hold`: it ended without the user (a leak, a lost tunnel or backend), so
   * the switch stays — fail closed — until an explicit disconnect.
   */
  endSession(hold: boolean): Promise<void> {
    return this.serial(async () => {
      await this.restoreDns();
      this.session = null;
      this.required = false;
      this.leak = null;
      if (hold && this.active) {
        this.holding = 'after_failure';
        this.o.log.event('killswitch.held', 'ok', { why: 'session_lost' });
        this.publish();
        return;
      }
      await this.afterSession();
    });
  }

  /** An explicit disconnect with no session: a held switch is released (or back to standby). */
  release(): Promise<void> {
    return this.serial(async () => {
      if (this.holding !== 'after_failure') return;
      this.holding = null;
      if (this.settings.mode === 'always') await this.installStandby();
      else await this.removeSwitch('released');
    });
  }

  /** Daemon stop (systemctl stop): as a user's disconnect — `always` keeps its standby switch. */
  shutdown(): Promise<void> {
    return this.serial(async () => {
      await this.restoreDns();
      if (this.settings.mode !== 'always') await this.removeSwitch('daemon_stop');
    });
  }

  /** The leak checks' latest result, for the Status. */
  reportLeakCheck(info: NetworkProtection['leak_check']): void {
    this.leak = info;
    this.publish();
  }

  /** For the leak checks: the switch is expected in place while a session runs with it on. */
  expectsSwitch(): boolean {
    return this.settings.mode !== 'off' && this.o.killSwitch !== null && this.session !== null;
  }

  async switchInstalled(): Promise<boolean> {
    return (await this.o.killSwitch?.installed()) ?? false;
  }

  serversInUse(): Promise<string[]> {
    return this.o.dns ? this.o.dns.serversInUse() : Promise.resolve([]);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private async afterSession(): Promise<void> {
    this.holding = null;
    // The standby switch needs the backend's addresses, which the session's switch already has.
    const targets = this.active ? this.lastBackend : null;
    if (this.settings.mode === 'always' && targets) await this.installStandbyFor(targets);
    else await this.removeSwitch('session_end');
  }

  private async installSession(t: SessionTargets): Promise<void> {
    const ks = this.o.killSwitch!;
    await ks.install({
      ...t,
      tunnelInterface: this.o.tunnelInterface,
      allowLan: this.settings.allow_lan,
    });
    this.lastBackend = {
      backendAddresses: t.backend.addresses,
      backendPort: t.backend.port,
      ...(this.lastBackend?.captiveProbe ? { captiveProbe: this.lastBackend.captiveProbe } : {}),
    };
    this.active = true;
    this.holding = null;
    this.o.log.event('killswitch.installed', 'ok', { scope: 'session', allow_lan: this.settings.allow_lan });
    this.publish();
  }

  private async installStandby(): Promise<void> {
    let targets: StandbyTargets | null = null;
    try {
      targets = await this.standby();
    } catch (err) {
      this.o.log.warn(`killswitch: the backend's addresses are unknown (${reason(err)}); blocking all`);
    }
    await this.installStandbyFor(targets ?? { backendAddresses: [], backendPort: 443 });
  }

  private async installStandbyFor(t: StandbyTargets): Promise<void> {
    const ks = this.o.killSwitch;
    if (!ks) return;
    const resolvers = (await this.serversInUse().catch(() => [])).filter(outsideLoopback).slice(0, 3);
    await ks.install({
      backend: { addresses: t.backendAddresses.slice(0, 8), port: t.backendPort },
      gateway: null,
      resolvers,
      ...(t.captiveProbe && t.captiveProbe.addresses.length > 0 ? { captiveProbe: t.captiveProbe } : {}),
      tunnelInterface: this.o.tunnelInterface,
      allowLan: this.settings.allow_lan,
    });
    this.lastBackend = t;
    this.active = true;
    this.holding = 'always';
    this.o.log.event('killswitch.installed', 'ok', { scope: 'standby', allow_lan: this.settings.allow_lan });
    this.publish();
  }

  private async removeSwitch(why: string): Promise<void> {
    const ks = this.o.killSwitch;
    if (ks && (this.active || (await ks.installed()))) {
      await ks.remove();
      this.o.log.event('killswitch.removed', 'ok', { why });
    }
    this.active = false;
    this.holding = null;
    this.publish();
  }

  private async restoreDns(): Promise<void> {
    if (!this.o.dns || !this.dnsInfo) return;
    try {
      await this.o.dns.restore();
      this.o.log.event('dns.restored', 'ok', { method: this.o.dns.method });
    } catch (err) {
      // The state file stays: the next start tries again.
      this.o.log.error(`dns: restore failed (${reason(err)}); retried at the next daemon start`);
    }
    this.dnsInfo = null;
    this.publish();
  }

  private publish(): void {
    this.o.publish(this.network());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readSettings(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(join(this.o.stateDir, SETTINGS_FILE), 'utf8');
    } catch {
      return DEFAULT_SETTINGS;
    }
    try {
      const s = settingsValidator.parse(JSON.parse(text), 'VIW_E_CONFIG');
      return { mode: s.mode, allow_lan: s.allow_lan };
    } catch {
      // A damaged file must not turn protection off: the default (session) stands.
      this.o.log.error(`${SETTINGS_FILE}: not a valid settings file; using mode session`);
      return DEFAULT_SETTINGS;
    }
  }

  private async writeSettings(s: Settings): Promise<void> {
    const path = join(this.o.stateDir, SETTINGS_FILE);
    await writeFile(path, `${JSON.stringify({ v: 1, ...s })}\n`, { mode: 0o600 });
  }
}

function unavailable(): ViworksError {
  return new ViworksError('VIW_E_KILL_SWITCH', {
    details: ['nftables is not available to the daemon (apt-get install nftables), or turn it off'],
  });
}

function outsideLoopback(a: string): boolean {
  return !/^127\./.test(a) && a !== '::1';
}

function reason(err: unknown): string {
  return err instanceof ViworksError ? err.code : 'error';
}
