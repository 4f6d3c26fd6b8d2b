import { KillSwitchSetCommand, setterFlags } from '../../lib/killswitch.js';

/** Mode `off`: no kill switch; a held one is removed. */
export default class KillSwitchOff extends KillSwitchSetCommand {
  static override summary = 'Turn the kill switch off';
  static override description =
    'Removes it at once (a switch held after a lost session too) and persists. Refused while ' +
    "connected when the session's policy requires the kill switch (exit 4, VIW_E_STATE); with such " +
    'a policy a connect with it off is refused (VIW_E_KILL_SWITCH).';
  static override examples = ['<%= config.bin %> killswitch off', '<%= config.bin %> killswitch off --json'];
  static override flags = setterFlags;
  protected readonly mode = 'off' as const;
}
