import { KillSwitchSetCommand, setterFlags } from '../../lib/killswitch.js';

/** Mode `always`: the kill switch also between sessions and across daemon restarts and reboots. */
export default class KillSwitchAlways extends KillSwitchSetCommand {
  static override summary = 'Keep the kill switch on always, also between sessions and across reboots';
  static override description =
    'Like `on`, and with no session only the backend (to log in) and the system resolvers get out. ' +
    'Kept across daemon restarts and reboots; `viworks killswitch on` or `off` ends it. Needs nftables.';
  static override examples = [
    '<%= config.bin %> killswitch always',
    '<%= config.bin %> killswitch always --allow-lan --json',
  ];
  static override flags = setterFlags;
  protected readonly mode = 'always' as const;
}
