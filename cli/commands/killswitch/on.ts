import { KillSwitchSetCommand, setterFlags } from '../../lib/killswitch.js';

/** Mode `session`, the default: the kill switch from each connect until an explicit disconnect. */
export default class KillSwitchOn extends KillSwitchSetCommand {
  static override summary = 'Turn the kill switch on for each session (mode session, the default)';
  static override description =
    'From the knock of each connect until `viworks disconnect`, only the tunnel, the backend, the ' +
    "gateway's knock and TLS ports, DHCP and neighbour discovery get out (and the LAN with " +
    '--allow-lan); the rest is dropped, IPv6 too. It stays through tunnel ' +
    'restarts and a daemon crash, and after a session lost to a leak or a dead tunnel until ' +
    '`viworks disconnect`. Takes effect at once (mid-session too) and persists. Needs nftables.';
  static override examples = [
    '<%= config.bin %> killswitch on',
    '<%= config.bin %> killswitch on --allow-lan',
    '<%= config.bin %> killswitch on --no-allow-lan --json',
  ];
  static override flags = setterFlags;
  protected readonly mode = 'session' as const;
}
