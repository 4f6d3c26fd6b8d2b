// The base of the commands that drive the local daemon (viworksd) through the typed LocalClient:
// the socket flag, the client, and the login dialogue shared by `login` and `connect`
// (password → phone code → one-time password replaced → log in again with the new one).
import { Flags } from '@oclif/core';
import { OTP_CODE_PATTERN } from '../../core/api/common.js';
import type { ConnectionState } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { LocalClient } from '../../core/localclient/index.js';
import { type Versioned, ViworksCommand } from './base-command.js';
import { CliError, usageError } from './output.js';

const OTP_CODE_RE = new RegExp(OTP_CODE_PATTERN);

export const socketFlag = {
  socket: Flags.string({
    description: 'Daemon socket (default: $VIWORKSD_SOCKET or /run/viworks/viworksd.sock)',
    helpGroup: 'GLOBAL',
  }),
};

export const secretFlags = {
  'password-stdin': Flags.boolean({ description: 'Read the password from the next line of stdin' }),
  'otp-stdin': Flags.boolean({ description: 'Read the phone code from the next line of stdin' }),
  'new-password-stdin': Flags.boolean({
    description: 'If the password must be replaced: read the new one from the next line of stdin',
  }),
};

type SecretFlags = { [K in keyof typeof secretFlags]: boolean };

const MAX_CODE_TRIES = 3;

export abstract class DaemonCommand<T extends Versioned> extends ViworksCommand<T> {
  /** The typed client of the daemon; a version mismatch is one warning on stderr (never with --json). */
  protected daemon(flags: { socket?: string | undefined }): LocalClient {
    return new LocalClient({
      ...(flags.socket ? { socketPath: flags.socket } : {}),
      onVersionMismatch: (m) =>
        this.progress(
          `warning: viworksd ${m.daemonVersion ?? '?'} (local API v${m.daemonApiVersion ?? '?'}) differs from ` +
            `this client ${m.clientVersion} (local API v${m.clientApiVersion}); update one of them.`,
        ),
    });
  }

  /** Reads a stream (watch, logs) until it ends or the user interrupts (Ctrl-C ends it cleanly). */
  protected async follow<X>(
    open: (signal: AbortSignal) => AsyncIterable<X>,
    each: (x: X) => void,
  ): Promise<void> {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for await (const x of open(stop.signal)) each(x);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }

  /**
   * Logs in through the daemon: the password and the code go to the daemon over its socket and
   * nowhere else. Returns the state after the code was accepted.
   */
  protected async loginDialogue(
    client: LocalClient,
    username: string,
    flags: SecretFlags,
  ): Promise<{ state: ConnectionState; password_changed: boolean }> {
    let password = await this.input({
      label: 'password',
      secret: true,
      fromStdin: flags['password-stdin'],
      how: '--password-stdin',
    });
    let passwordChanged = false;
    for (;;) {
      this.progress('Logging in…');
      const login = await client.login({ password });
      this.progress(`Login OK. Enter the code shown on your phone (valid until ${login.otp_expires_at}).`);
      const verified = await this.phoneCode(client, flags['otp-stdin']);
      this.progress('OTP verified.');
      if (!verified.password_change_required)
        return { state: verified.state, password_changed: passwordChanged };
      if (passwordChanged)
        throw new CliError('VIW_E_INTERNAL', { message: 'The password change did not take' });
      this.progress('Your password is a one-time password: choose a new one (12+ characters, 6+ different).');
      const next = await this.newPassword(username, password, flags['new-password-stdin']);
      await client.password({ new_password: next });
      this.progress('Password changed. Logging in with the new one (a new code comes to your phone).');
      password = next;
      passwordChanged = true;
    }
  }

  /** Asks for the phone code; at a terminal a mistyped code may be entered again. */
  private async phoneCode(client: LocalClient, fromStdin: boolean) {
    for (let attempt = 1; ; attempt++) {
      const code = await this.input({ label: '6-digit code from your phone', fromStdin, how: '--otp-stdin' });
      if (!OTP_CODE_RE.test(code)) throw usageError('The code is 6 digits');
      try {
        return await client.otp({ otp_code: code });
      } catch (err) {
        const retry = isViworksError(err, 'VIW_E_OTP_INVALID') && !fromStdin && attempt < MAX_CODE_TRIES;
        if (!retry) throw err;
        this.progress('That code is wrong; try again.');
      }
    }
  }
}
