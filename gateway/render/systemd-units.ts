// systemd units for the gateway's daemons (docs/architecture.md#gateway-systemd-units): each restarts on
// failure and sees a read-only system (ProtectSystem=strict) except the few paths it writes, a
// private /tmp, no /home, and no way to gain privileges. The daemons start as root (they bind
// privileged ports, open tun, change netfilter) and drop to the users the rendered configs name.
// The SIEM forwarder (rsyslogd) stays root: it reads the 0600 audit log. So does the data-plane
// normalizer beside it (viworks-gw-observe): it reads the daemons' 0600 logs and takes the node lock.
// The front door's capture (viworks-gw-frontdoor) starts as root with only the capabilities tcpdump
// needs to open a capture and drop to its own user.
import { basename, dirname, extname, join } from 'node:path';
import { frontDoorPaths, helloLogIn } from '../front-door/paths.js';
import { observerPaths } from '../observe/observer-paths.js';
import { forwarderPaths, fwknopdLogIn, type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkPath, GENERATED_HEADER } from './values.js';

export interface SystemdUnitsOptions {
  readonly nodeBin: string;
  readonly gwBin: string;
  /** The normalizer's entry point; default: viworks-gw-observe beside gwBin, with its extension. */
  readonly observeBin?: string;
  /** The front door's capture; default: viworks-gw-frontdoor beside gwBin, with its extension. */
  readonly frontDoorBin?: string;
  /** viworks-gw's node configuration (gw.json). */
  readonly configPath: string;
  readonly sshdConfigPath: string;
  /** gw.json's state_dir: fwknopd's log and the SIEM forwarder's files live there. */
  readonly stateDir: string;
}

export const UNIT_NAMES = {
  stunnel: 'stunnel-viworks.service',
  openvpn: 'openvpn-viworks.service',
  fwknopd: 'fwknopd-viworks.service',
  rsyslog: 'rsyslog-viworks.service',
  observer: 'viworks-gw-observe.service',
  front_door: 'viworks-gw-frontdoor.service',
  sshd: 'viworks-gw-sshd.service',
} as const;

type Section = Record<string, string | readonly string[]>;

function unitFile(unit: Section, service: Section): string {
  const section = (name: string, s: Section) => [
    `[${name}]`,
    ...Object.entries(s).flatMap(([k, v]) => (typeof v === 'string' ? [v] : v).map((x) => `${k}=${x}`)),
  ];
  const install = section('Install', { WantedBy: 'multi-user.target' });
  return `${[GENERATED_HEADER, ...section('Unit', unit), '', ...section('Service', service), '', ...install].join('\n')}\n`;
}

const HARDENING: Section = {
  Restart: 'on-failure',
  RestartSec: '2',
  ProtectSystem: 'strict',
  PrivateTmp: 'yes',
  ProtectHome: 'yes',
  NoNewPrivileges: 'yes',
};

/** Directories a daemon writes in (sorted, unique): systemd requires them to exist at start. */
const writable = (...files: string[]) => [...new Set(files)].sort().join(' ');

/** viworks-gw-<suffix> beside viworks-gw (all are bins of the same package). */
function binBeside(gwBin: string, suffix: string): string {
  const ext = extname(gwBin);
  return join(dirname(gwBin), `${basename(gwBin, ext)}-${suffix}${ext}`);
}

/**
 * Renders the seven units, keyed by unit file name. `facts` gives the daemons' config, pid, log and
 * run paths, which ExecStart= and ReadWritePaths= must name.
 */
export function renderSystemdUnits(opts: SystemdUnitsOptions, facts: NodeFacts): Record<string, string> {
  const f = validateNodeFacts(facts);
  const p = f.paths;
  checkPath('nodeBin', opts.nodeBin);
  checkPath('gwBin', opts.gwBin);
  checkPath('configPath', opts.configPath);
  const sshdConfig = checkPath('sshdConfigPath', opts.sshdConfigPath);
  const fwknopdLog = fwknopdLogIn(opts.stateDir);
  const forwarder = forwarderPaths(opts.stateDir);
  const observer = observerPaths(opts.stateDir);
  const observeBin = checkPath('observeBin', opts.observeBin ?? binBeside(opts.gwBin, 'observe'));
  const frontDoor = frontDoorPaths(opts.stateDir);
  const frontDoorBin = checkPath('frontDoorBin', opts.frontDoorBin ?? binBeside(opts.gwBin, 'frontdoor'));
  const after = 'network-online.target';
  return {
    [UNIT_NAMES.stunnel]: unitFile(
      {
        Description: 'ViWorkS front door: stunnel TLS 1.3 with client certificates',
        Wants: after,
        After: [after, UNIT_NAMES.openvpn],
      },
      {
        Type: 'forking',
        PIDFile: p.stunnelPid,
        ExecStart: `/usr/bin/stunnel4 ${p.stunnelConf}`,
        ReadWritePaths: writable(dirname(p.stunnelPid), dirname(p.stunnelLog)),
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.openvpn]: unitFile(
      { Description: 'ViWorkS OpenVPN server (loopback, behind stunnel)', Wants: after, After: after },
      {
        // Debian's OpenVPN reports readiness to systemd when it runs in the foreground.
        Type: 'notify',
        ExecStart: `/usr/sbin/openvpn --suppress-timestamps --config ${p.openvpnConf}`,
        ReadWritePaths: writable(
          dirname(p.openvpnPid),
          dirname(p.openvpnStatus),
          dirname(p.openvpnLog),
          dirname(p.openvpnMgmtSocket),
        ),
        DeviceAllow: '/dev/net/tun rw',
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.fwknopd]: unitFile(
      {
        Description: 'ViWorkS SPA server: fwknopd opens the TLS port per authorized source',
        Wants: after,
        After: after,
      },
      {
        Type: 'simple',
        // Foreground, output appended to the same file as in direct mode (fwknopd has no log file
        // option): pull_logs and the SIEM forwarder read it there, not from the journal.
        ExecStart: `/usr/sbin/fwknopd --foreground -c ${p.fwknopdConf}`,
        StandardOutput: `append:${fwknopdLog}`,
        StandardError: `append:${fwknopdLog}`,
        // iptables takes /run/xtables.lock, which must exist before /run turns read-only for it;
        // `+` runs this one step outside the sandbox.
        ExecStartPre: '+/usr/bin/touch /run/xtables.lock',
        ReadWritePaths: writable(p.fwknopRunDir, '/run/xtables.lock'),
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.rsyslog]: unitFile(
      {
        Description: 'ViWorkS SIEM forwarder: the node-owned rsyslogd shipping its logs over mutual TLS',
        Wants: after,
        After: [after, UNIT_NAMES.openvpn, UNIT_NAMES.stunnel, UNIT_NAMES.fwknopd],
        // viworks-gw writes the config only while the backend sends a SIEM target, and removes it
        // with the target: enabled or not, the unit never starts without one.
        ConditionPathExists: forwarder.conf,
      },
      {
        // Debian's rsyslogd reports readiness to systemd; -iNONE: no pid file (systemd tracks it).
        Type: 'notify',
        ExecStart: `/usr/sbin/rsyslogd -n -iNONE -f ${forwarder.conf}`,
        ReadWritePaths: writable(forwarder.dir),
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.observer]: unitFile(
      {
        Description: "ViWorkS data-plane normalizer: the daemons' log lines as audit events for the SIEM",
        After: [UNIT_NAMES.openvpn, UNIT_NAMES.stunnel, UNIT_NAMES.fwknopd],
        // Like the forwarder: its config exists exactly while the backend sends a SIEM target.
        ConditionPathExists: observer.conf,
      },
      {
        Type: 'simple',
        ExecStart: `${opts.nodeBin} ${observeBin} --config ${observer.conf}`,
        // The state dir, not only its own: it takes the node lock (a file created per request)
        // around each read of fwknopd's log, as pull_logs does.
        ReadWritePaths: writable(opts.stateDir),
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.front_door]: unitFile(
      {
        Description: "ViWorkS front-door fingerprints: the JA3/JA4 of each client's TLS ClientHello",
        After: [after, UNIT_NAMES.stunnel],
        // apply_config writes its config (the port) with the first configuration.
        ConditionPathExists: frontDoor.conf,
      },
      {
        Type: 'simple',
        ExecStart: `${opts.nodeBin} ${frontDoorBin} --config ${frontDoor.conf}`,
        // tcpdump opens the capture as root, then runs as its own user (Debian's default -Z tcpdump).
        CapabilityBoundingSet: 'CAP_NET_RAW CAP_NET_ADMIN CAP_SETUID CAP_SETGID',
        // The state dir: the hello log is there (beside fwknopd's), and its rotation renames it.
        ReadWritePaths: writable(dirname(helloLogIn(opts.stateDir)), frontDoor.dir),
        ...HARDENING,
      },
    ),
    [UNIT_NAMES.sshd]: unitFile(
      {
        Description: 'ViWorkS gateway control plane: sshd on the control port, forced viworks-gw',
        Wants: after,
        After: after,
      },
      {
        Type: 'notify',
        ExecStartPre: `/usr/sbin/sshd -t -f ${sshdConfig}`,
        ExecStart: `/usr/sbin/sshd -D -f ${sshdConfig}`,
        ExecReload: '/bin/kill -HUP $MAINPID',
        RuntimeDirectory: 'sshd',
        RuntimeDirectoryPreserve: 'yes',
        Restart: 'on-failure',
        RestartSec: '2',
        PrivateTmp: 'yes',
        // No ProtectSystem/NoNewPrivileges here: sessions run viworks-gw, which writes the daemons'
        // configs across /etc and restarts them, and a sandbox is inherited by every session.
      },
    ),
  };
}
