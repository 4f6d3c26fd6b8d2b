// A complete sshd_config for the control-plane sshd (`sshd -D -f <file>`, port 2222): one user, public
// keys only, every key forced to `viworks-gw` by authorized_keys, and nothing an SSH session could
// otherwise do — no shell, pty, forwarding, tunnel, agent, X11, environment or sftp.
import { type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkIpv4, checkPath, checkUnixName, renderLines } from './values.js';

export interface SshdConfigOptions {
  readonly listenAddress: string;
  readonly hostKeyPath: string;
  readonly authorizedKeysFile: string;
  readonly pidFile: string;
  /** The only account that may log in (the key's command= decides what it runs). */
  readonly allowUser: string;
  /**
   * HOME for the forced command (an empty directory). sshd runs `command=` through the account's
   * shell, and Debian's bash sources ~/.bashrc for sshd sessions even when not interactive: with
   * HOME elsewhere, nothing an operator put in root's start-up files runs (or hangs, or costs time)
   * before viworks-gw, on every control command.
   */
  readonly controlHome: string;
}

export function renderSshdConfig(facts: NodeFacts, opts: SshdConfigOptions): string {
  const f = validateNodeFacts(facts);
  const listen = checkIpv4('listenAddress', opts.listenAddress);
  const hostKey = checkPath('hostKeyPath', opts.hostKeyPath);
  // Paths may not hold `%`, so sshd's %h/%u expansion never applies: one fixed file.
  const authorizedKeys = checkPath('authorizedKeysFile', opts.authorizedKeysFile);
  const pidFile = checkPath('pidFile', opts.pidFile);
  const user = checkUnixName('allowUser', opts.allowUser);
  const home = checkPath('controlHome', opts.controlHome);
  return renderLines([
    `Port ${f.sshPort}`,
    `ListenAddress ${listen}`,
    `HostKey ${hostKey}`,
    `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    `AllowUsers ${user}`,
    '# Public keys only, and only ed25519 ones (authorized-keys.ts renders nothing else).',
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PubkeyAcceptedAlgorithms ssh-ed25519',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'PermitEmptyPasswords no',
    'IgnoreRhosts yes',
    // root may log in only to run the forced command of its key, never a shell.
    `PermitRootLogin ${user === 'root' ? 'forced-commands-only' : 'no'}`,
    'UsePAM no',
    'StrictModes yes',
    "# The forced command starts with HOME here: the account's shell start-up files never run.",
    `SetEnv HOME=${home}`,
    '# The backend multiplexes its commands on one connection (at most 8 channels at once).',
    'MaxSessions 10',
    '# Nothing but the forced command: no forwarding of any kind, no pty, no tunnel, no environment.',
    'DisableForwarding yes',
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitTTY no',
    'PermitUserRC no',
    'GatewayPorts no',
    'PermitUserEnvironment no',
    'PermitListen none',
    'PermitOpen none',
    'MaxAuthTries 2',
    'LoginGraceTime 10',
    'ClientAliveInterval 15',
    'ClientAliveCountMax 4',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'Compression no',
    '# VERBOSE logs the fingerprint of the key each login used (audit trail).',
    'LogLevel VERBOSE',
    '# No Subsystem line: no sftp.',
  ]);
}
