// The `viworks killswitch …` topic's shared part (docs/cli.md#kill-switch): the text that explains a
// KillSwitchInfo, the --[no-]allow-lan flag, and the one setter the three mode commands (on, off,
// always) run. The daemon decides and persists; this only asks, explains and names the fix.
import { Flags } from '@oclif/core';
import type { KillSwitchInfo, KillSwitchMode, KillSwitchRequest } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { DaemonCommand, socketFlag } from './daemon-command.js';
import { withHint } from './output.js';
import type { KillSwitchSetResult } from './results.js';

export const INSTALL_NFT =
  'install nftables (sudo apt-get install nftables) and restart viworksd (sudo systemctl restart viworksd)';

const MODE_TEXT: Record<KillSwitchMode, string> = {
  off: 'off — traffic can leave outside the tunnel when it drops',
  session:
    'session — from each connect until you disconnect (kept through tunnel restarts and a lost session)',
  always:
    'always — also between sessions and across reboots (only the backend and the system resolvers get out)',
};

/** Whether it is in the kernel now, and why. */
function activeText(k: KillSwitchInfo): string {
  if (k.active) {
    if (k.holding === 'after_failure')
      return 'yes — held after a lost session: traffic outside the tunnel is blocked until `viworks disconnect`';
    if (k.holding === 'always') return 'yes — between sessions (mode always)';
    return 'yes — protecting the session';
  }
  if (k.mode === 'off' || !k.available) return 'no';
  if (k.mode === 'session') return 'no — goes up at the next connect';
  return 'no — expected in place (mode always): see `viworks logs` and `viworks doctor`';
}

/** The lines `viworks killswitch status` (and each setter) prints. */
export function describeKillSwitch(k: KillSwitchInfo): string[] {
  const refused = k.mode !== 'off' ? '; until then connecting is refused (fail closed)' : '';
  return [
    `Mode:       ${MODE_TEXT[k.mode]}`,
    `Active:     ${activeText(k)}`,
    `LAN:        ${
      k.allow_lan
        ? 'allowed — local networks (10/8, 172.16/12, 192.168/16, link-local) stay reachable'
        : 'blocked while active (--allow-lan lets printers, NAS… through)'
    }`,
    `Available:  ${k.available ? 'yes (nftables)' : `no — ${INSTALL_NFT}${refused}`}`,
    `Policy:     ${
      k.required
        ? "required by your organisation's policy for this session: it cannot be turned off while connected"
        : 'not required'
    }`,
  ];
}

/** One line for `viworks status`: "session, active, LAN blocked". */
export function killSwitchSummary(k: KillSwitchInfo): string {
  const parts: string[] = [k.mode];
  if (k.active) {
    parts.push(
      k.holding === 'after_failure'
        ? 'active, held after a lost session (`viworks disconnect` releases it)'
        : k.holding === 'always'
          ? 'active between sessions'
          : 'active',
    );
  } else if (k.mode !== 'off' && k.available) {
    parts.push(k.mode === 'session' ? 'goes up at the next connect' : 'NOT in place');
  }
  if (k.mode !== 'off' || k.allow_lan) parts.push(k.allow_lan ? 'LAN allowed' : 'LAN blocked');
  if (k.required) parts.push('required by policy');
  if (!k.available) parts.push(`nftables not available (${k.mode === 'off' ? 'install it' : INSTALL_NFT})`);
  return parts.join(', ');
}

/** The flags of `killswitch on|off|always`. */
export const setterFlags = {
  ...socketFlag,
  'allow-lan': Flags.boolean({
    allowNo: true,
    description:
      'Let the local networks (RFC 1918, link-local) through (--no-allow-lan blocks them); unchanged when absent',
  }),
};

/** The daemon's refusal with the hint that fixes it here. */
function refusal(err: unknown, req: KillSwitchRequest, before: KillSwitchInfo): unknown {
  if (!isViworksError(err)) return err;
  if (err.code === 'VIW_E_STATE' && req.mode === 'off') {
    return withHint(
      err,
      "The session's policy requires the kill switch while connected: `viworks disconnect` first " +
        '(a connect with it off is then refused).',
    );
  }
  if (err.code === 'VIW_E_KILL_SWITCH' && !before.available) {
    return withHint(
      err,
      `viworksd cannot use nftables here: ${INSTALL_NFT}. A viworksd not running as root on Linux manages no kill switch.`,
    );
  }
  return err;
}

/** `viworks killswitch on|off|always`: the mode (and LAN access) set in the daemon, now and for good. */
// No static here: oclif's manifest (help) merges a command's statics down its class chain and loses
// what ViworksCommand inherits (--json) past a class with statics of its own. Each command declares
// `static override flags = setterFlags`.
export abstract class KillSwitchSetCommand extends DaemonCommand<KillSwitchSetResult> {
  protected abstract readonly mode: KillSwitchMode;

  async run(): Promise<KillSwitchSetResult> {
    const { flags } = await this.parse();
    const f = flags as { socket?: string; 'allow-lan'?: boolean };
    const client = this.daemon(f);
    const before = await client.killSwitch();
    const req: KillSwitchRequest = {
      mode: this.mode,
      ...(f['allow-lan'] === undefined ? {} : { allow_lan: f['allow-lan'] }),
    };
    let after: KillSwitchInfo;
    try {
      after = await client.setKillSwitch(req);
    } catch (err) {
      throw refusal(err, req, before);
    }
    const changed = before.mode !== after.mode || before.allow_lan !== after.allow_lan;
    const lan =
      before.allow_lan !== after.allow_lan ? `, LAN ${after.allow_lan ? 'allowed' : 'blocked'}` : '';
    this.log(
      [
        changed
          ? `Kill switch: ${after.mode}${lan} (was ${before.mode}).`
          : `Kill switch: ${after.mode} (unchanged).`,
        ...describeKillSwitch(after),
      ].join('\n'),
    );
    return {
      v: 1,
      kill_switch: after,
      previous: { mode: before.mode, allow_lan: before.allow_lan },
      changed,
    };
  }
}
