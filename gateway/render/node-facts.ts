// Node-local facts: what only the gateway node itself knows (its interfaces, listen address, where its
// files live, which users its daemons drop to). They come from the node's own configuration, never
// from the backend, and are checked once here so every renderer can put them into files verbatim.
import { join } from 'node:path';
import { checkIfname, checkIpv4, checkPath, checkPort, checkUnixName, configError } from './values.js';

export interface NodePaths {
  readonly fwknopdConf: string;
  readonly accessConf: string;
  readonly fwknopRunDir: string;
  readonly stunnelConf: string;
  readonly stunnelCert: string;
  readonly stunnelKey: string;
  readonly stunnelPid: string;
  readonly stunnelLog: string;
  readonly clientCa: string;
  readonly crl: string;
  readonly openvpnConf: string;
  readonly openvpnCa: string;
  readonly openvpnCert: string;
  readonly openvpnKey: string;
  readonly tlsCryptKey: string;
  readonly ccdDir: string;
  readonly openvpnMgmtSocket: string;
  readonly openvpnPid: string;
  readonly openvpnStatus: string;
  readonly openvpnLog: string;
  readonly iptablesRules: string;
}

export interface NodeFacts {
  /** fwknopd PCAP_INTF: the interface SPA packets arrive on. */
  readonly spaInterface: string;
  /** Address stunnel accepts on (IPv4). */
  readonly listenAddress: string;
  /** OpenVPN listens on 127.0.0.1:<openvpnPort>; stunnel connects there. */
  readonly openvpnPort: number;
  /** sshd control port (2222). */
  readonly sshPort: number;
  /** OpenVPN drops privileges to this user/group after start; null = stay root (lab). */
  readonly openvpnUser: { readonly user: string; readonly group: string } | null;
  /** stunnel setuid/setgid; null = stay root (lab). */
  readonly stunnelUser: { readonly user: string; readonly group: string } | null;
  readonly paths: NodePaths;
}

const PATH_KEYS = [
  'fwknopdConf',
  'accessConf',
  'fwknopRunDir',
  'stunnelConf',
  'stunnelCert',
  'stunnelKey',
  'stunnelPid',
  'stunnelLog',
  'clientCa',
  'crl',
  'openvpnConf',
  'openvpnCa',
  'openvpnCert',
  'openvpnKey',
  'tlsCryptKey',
  'ccdDir',
  'openvpnMgmtSocket',
  'openvpnPid',
  'openvpnStatus',
  'openvpnLog',
  'iptablesRules',
] as const satisfies readonly (keyof NodePaths)[];

function checkUser(setting: string, u: NodeFacts['openvpnUser']): void {
  if (u === null) return;
  if (typeof u !== 'object') throw configError(setting, 'not a user/group pair or null');
  checkUnixName(`${setting}.user`, u.user);
  checkUnixName(`${setting}.group`, u.group);
}

/** Returns the facts unchanged when every value is safe to render; throws VIW_E_CONFIG otherwise. */
export function validateNodeFacts(f: NodeFacts): NodeFacts {
  if (typeof f !== 'object' || f === null) throw configError('facts', 'missing');
  checkIfname('spaInterface', f.spaInterface);
  checkIpv4('listenAddress', f.listenAddress);
  checkPort('openvpnPort', f.openvpnPort);
  checkPort('sshPort', f.sshPort);
  checkUser('openvpnUser', f.openvpnUser);
  checkUser('stunnelUser', f.stunnelUser);
  if (typeof f.paths !== 'object' || f.paths === null) throw configError('paths', 'missing');
  for (const key of PATH_KEYS) checkPath(`paths.${key}`, f.paths[key]);
  return f;
}

/**
 * fwknopd 2.6.10 has no log-file option: it writes to stdout/stderr in the foreground, which both
 * service modes append to this file in the node's state dir (direct: viworks-gw's redirect;
 * systemd: StandardOutput=append:), so pull_logs and the SIEM forwarder read one place.
 */
export function fwknopdLogIn(stateDir: string): string {
  return join(checkPath('state_dir', stateDir), 'fwknopd.log');
}

/** The SIEM forwarder's own files: a node-owned rsyslogd instance, never the system's. */
export interface ForwarderPaths {
  /** 0700: everything below is the forwarder's and only root's. */
  readonly dir: string;
  readonly conf: string;
  /** Direct mode only (systemd tracks MainPID). */
  readonly pid: string;
  /** rsyslogd's workDirectory: imfile's read positions and the disk queue (0700). */
  readonly workDir: string;
  /** The SIEM's CA bundle, the node's client chain and its key (all 0600). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** rsyslogd's own messages (connection errors, suspensions): the first place to look. */
  readonly ownLog: string;
  /** sha256 of the inputs the running forwarder was started with (apply_config's restart decision). */
  readonly startedWith: string;
}

export function forwarderPaths(stateDir: string): ForwarderPaths {
  const dir = join(checkPath('state_dir', stateDir), 'siem');
  return {
    dir,
    conf: join(dir, 'rsyslogd.conf'),
    pid: join(dir, 'rsyslogd.pid'),
    workDir: join(dir, 'work'),
    caFile: join(dir, 'siem-ca.pem'),
    certFile: join(dir, 'client-chain.pem'),
    keyFile: join(dir, 'client-key.pem'),
    ownLog: join(dir, 'rsyslogd.log'),
    startedWith: join(dir, 'started-with.sha256'),
  };
}
