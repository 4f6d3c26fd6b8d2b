import { Flags } from '@oclif/core';
import { LocalClient } from '../../core/localclient/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { doctorExitCode, formatDoctor, runDoctor } from '../lib/doctor.js';
import type { DoctorResult } from '../lib/results.js';

/** A netcheck-style diagnostic of this machine, the daemon and the backend (cli/lib/doctor.ts). */
export default class Doctor extends DaemonCommand<DoctorResult> {
  static override summary =
    'Diagnose the daemon, enrollment, backend, clock, tunnel device, VPNs, DNS and the kill switch';
  static override description =
    'Prints one line per check (pass, warn, fail, skip) with a hint for each problem: a report to paste ' +
    'into a support ticket. It holds no secret, and IP addresses are redacted (10.x.x.x~tag) unless ' +
    '--include-addresses. Exit code 0 when no check fails; otherwise the exit code of the first failing ' +
    "check's error code (6 daemon not reachable, 4 policy or preflight, 5 network, 7 key store). " +
    'Without the daemon, the checks this user can make still run.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --include-addresses',
  ];
  static override flags = {
    ...socketFlag,
    'include-addresses': Flags.boolean({
      description: 'Show IP addresses (resolvers, routes, backend) instead of redacting them',
    }),
  };

  async run(): Promise<DoctorResult> {
    const { flags } = await this.parse(Doctor);
    // The version check is one of the report's checks: no separate warning on stderr.
    const client = new LocalClient({
      ...(flags.socket ? { socketPath: flags.socket } : {}),
      onVersionMismatch: () => undefined,
    });
    this.progress('Running diagnostics…');
    const result = await runDoctor(client, { includeAddresses: flags['include-addresses'] });
    this.log(formatDoctor(result).join('\n'));
    process.exitCode = doctorExitCode(result);
    return result;
  }
}
