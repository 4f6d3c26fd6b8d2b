import { DaemonCommand, secretFlags, socketFlag } from '../lib/daemon-command.js';
import { CliError } from '../lib/output.js';
import type { LoginResult } from '../lib/results.js';

/**
 * Logs in through the daemon: password, then the code shown on the bound phone. The daemon keeps
 * the short-lived token in memory for `viworks connect`. The password goes from the prompt (or
 * --password-stdin) over the daemon socket only — never argv, environment or a file.
 */
export default class Login extends DaemonCommand<LoginResult> {
  static override summary = 'Log in (password + phone code) without connecting yet';
  static override examples = [
    '<%= config.bin %> login',
    'printf "%s\\n" "$PW" | <%= config.bin %> login --password-stdin   # the code is then asked at the terminal',
  ];
  static override flags = { ...socketFlag, ...secretFlags };

  async run(): Promise<LoginResult> {
    const { flags } = await this.parse(Login);
    const client = this.daemon(flags);
    const status = await client.status();
    if (!status.device) throw new CliError('VIW_E_DEVICE_UNKNOWN');
    const result = await this.loginDialogue(client, status.device.username, flags);
    this.log(`Logged in as ${status.device.username}. Run \`viworks connect\` to start the tunnel.`);
    return { v: 1, ...result };
  }
}
