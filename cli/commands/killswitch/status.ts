import { DaemonCommand, socketFlag } from '../../lib/daemon-command.js';
import { describeKillSwitch } from '../../lib/killswitch.js';
import type { KillSwitchStatusResult } from '../../lib/results.js';

/** The kill switch now: mode, whether it is in place and why, LAN access, availability, policy. */
export default class KillSwitchStatus extends DaemonCommand<KillSwitchStatusResult> {
  static override summary = 'Show the kill switch: mode, active now and why, LAN access, availability';
  static override description =
    'Modes: off; session (default: from each connect until `viworks disconnect`, kept through tunnel ' +
    'restarts and after a lost session); always (also between sessions and across reboots). ' +
    'The kill switch needs nftables. See docs/cli.md#kill-switch.';
  static override examples = [
    '<%= config.bin %> killswitch status',
    '<%= config.bin %> killswitch status --json',
  ];
  static override flags = { ...socketFlag };

  async run(): Promise<KillSwitchStatusResult> {
    const { flags } = await this.parse(KillSwitchStatus);
    const k = await this.daemon(flags).killSwitch();
    this.log(describeKillSwitch(k).join('\n'));
    return { v: 1, kill_switch: k };
  }
}
