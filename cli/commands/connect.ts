import type { ConnectionState } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { CONNECT_PROGRESS, type LocalClient } from '../../core/localclient/index.js';
import { DaemonCommand, secretFlags, socketFlag } from '../lib/daemon-command.js';
import { CliError } from '../lib/output.js';
import type { ConnectResult } from '../lib/results.js';

/** What entering each state means for the user (shared with the TUI). */
const STEP = CONNECT_PROGRESS;

/**
 * Login + phone code + connect in one. When `viworks login` ran just before, the daemon still holds
 * the token and no password is asked. Progress goes to stderr; the result is the live session.
 */
export default class Connect extends DaemonCommand<ConnectResult> {
  static override summary = 'Connect: log in (password + phone code) and bring the tunnel up';
  static override examples = [
    '<%= config.bin %> connect',
    'printf "%s\\n" "$PW" | <%= config.bin %> connect --password-stdin   # code asked at the terminal',
  ];
  static override flags = { ...socketFlag, ...secretFlags };

  async run(): Promise<ConnectResult> {
    const { flags } = await this.parse(Connect);
    const client = this.daemon(flags);
    const before = await client.status();
    if (before.state === 'connected') {
      this.log(`Already connected via ${before.session?.gateway_fqdn ?? '?'}.`);
      return {
        v: 1,
        state: 'connected',
        already_connected: true,
        session: before.session,
        timings: before.timings,
      };
    }
    if (!before.device) throw new CliError('VIW_E_DEVICE_UNKNOWN');
    const username = before.device.username;
    const stopProgress = this.showProgress(client);
    try {
      try {
        await client.connect();
      } catch (err) {
        // No fresh login in the daemon: log in now, then connect.
        if (!isViworksError(err, 'VIW_E_AUTH_REQUIRED')) throw err;
        await this.loginDialogue(client, username, flags);
        await client.connect();
      }
    } finally {
      stopProgress();
    }
    const s = await client.status();
    if (s.state !== 'connected')
      throw new CliError('VIW_E_STATE', { message: `The daemon reports ${s.state}` });
    this.progress('OVPN up.');
    this.log(`Connected via ${s.session?.gateway_fqdn ?? '?'} (ip ${s.session?.virtual_ip ?? '-'}).`);
    return { v: 1, state: 'connected', already_connected: false, session: s.session, timings: s.timings };
  }

  /** Prints each connect step as the daemon reaches it (text mode only); returns the stopper. */
  private showProgress(client: LocalClient): () => void {
    if (this.jsonEnabled()) return () => undefined;
    const stop = new AbortController();
    let seen: ConnectionState | null = null;
    const watch = async () => {
      for await (const s of client.watch({ signal: stop.signal })) {
        const line = s.state !== seen ? STEP[s.state] : undefined;
        seen = s.state;
        if (line) this.progress(line);
      }
    };
    watch().catch(() => undefined); // progress only: the connect call itself reports failures
    return () => stop.abort();
  }
}
