import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { VIWORKSD_NODE_FLAGS } from '../../../core/daemon-node-flags.js';
import { packageRoot } from '../../../core/package-root.js';
import { ViworksCommand } from '../../lib/base-command.js';
import { CliError, usageError } from '../../lib/output.js';
import type { DaemonInstallResult } from '../../lib/results.js';
import { applyInstall, planInstall, SOCKET_GROUP, UNIT_NAME } from '../../lib/systemd-install.js';

/** dist/daemon/bin/viworksd.js of the installed package this command runs from. */
function packagedDaemon(): string | null {
  try {
    return join(packageRoot(), 'dist/daemon/bin/viworksd.js');
  } catch {
    return null; // not inside a viworks package
  }
}

/**
 * Installs viworksd as a systemd service: creates the `viworks` group (whose members may use the
 * daemon socket), writes the unit, enables and starts it. Idempotent: a second run changes nothing.
 */
export default class DaemonInstall extends ViworksCommand<DaemonInstallResult> {
  static override summary = 'Install the viworksd systemd service and the viworks group';
  static override description =
    `Needs root. --dry-run prints every step and changes nothing. Add users to the group afterwards: usermod -aG ${SOCKET_GROUP} USER.`;
  static override examples = [
    'sudo <%= config.bin %> daemon install',
    '<%= config.bin %> daemon install --dry-run --json',
  ];
  static override flags = {
    'dry-run': Flags.boolean({ description: 'Show what would be done; change nothing' }),
    'no-start': Flags.boolean({ description: 'Install and enable, but do not start it now' }),
    viworksd: Flags.string({
      description: 'The viworksd entry point (default: the one shipped with this CLI)',
      helpValue: 'PATH',
    }),
    root: Flags.string({
      description: 'Install into this root directory (packaging); starts nothing',
      hidden: true,
      default: '/',
    }),
  };

  async run(): Promise<DaemonInstallResult> {
    const { flags } = await this.parse(DaemonInstall);
    const root = resolve(flags.root);
    const daemon = flags.viworksd ? resolve(flags.viworksd) : packagedDaemon();
    if (!daemon || !isAbsolute(daemon) || !existsSync(daemon)) {
      throw usageError(
        `viworksd not found${daemon ? ` at ${daemon}` : ''}`,
        'Build it (npm run build) or pass --viworksd PATH.',
      );
    }
    const execStart = daemon.endsWith('.js') ? [process.execPath, ...VIWORKSD_NODE_FLAGS, daemon] : [daemon];
    if (execStart.some((p) => /\s/.test(p)))
      throw usageError('Paths with spaces cannot go into the unit file');
    const input = { root, execStart, start: !flags['no-start'] };
    const steps = planInstall(input);
    const changed = steps.some((s) => s.action !== 'none' && s.action !== 'skip');
    if (!flags['dry-run'] && changed) {
      if (root === '/' && process.getuid?.() !== 0) {
        throw new CliError('VIW_E_FORBIDDEN', {
          message: 'Installing the daemon needs root',
          hint: 'Run it with sudo, or add --dry-run to see what it would do.',
        });
      }
      applyInstall(input, steps);
    }
    const verb = flags['dry-run'] ? 'would' : 'did';
    const said = { none: 'ok', skip: 'skipped' } as Record<string, string>;
    for (const s of steps)
      this.log(`${s.step.padEnd(14)} ${said[s.action] ?? `${verb} ${s.action}`}: ${s.detail}`);
    if (!changed) this.log(`Nothing to do: ${UNIT_NAME} is installed.`);
    return {
      v: 1,
      dry_run: flags['dry-run'] === true,
      changed,
      unit_path: join(root, 'etc/systemd/system', UNIT_NAME),
      group: SOCKET_GROUP,
      steps,
    };
  }
}
