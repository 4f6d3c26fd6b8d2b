import { Flags } from '@oclif/core';
import { type AuthReplyT, TotpCode } from '../../../core/api/admin.js';
import type { AdminClient } from '../../../core/backendclient/admin-client.js';
import { strictValidator } from '../../../core/schema/strict.js';
import type { AdminLoginResult } from '../../lib/admin-results.js';
import { loadAdminSession, saveAdminSession } from '../../lib/admin-session.js';
import { ViworksCommand } from '../../lib/base-command.js';
import { CliError, usageError } from '../../lib/output.js';
import { adminClientFor, type BackendTrust, trustFlags, trustFromFlags } from '../../lib/trust.js';

const totpCode = strictValidator(TotpCode);

/**
 * Logs in to the backend admin API and keeps the session (keyring, or a 0600 file). Walks through
 * the first-login setup when the account needs it: new password, then TOTP enrollment (the key URI
 * is shown once), then a full login with the next code.
 */
export default class AdminLogin extends ViworksCommand<AdminLoginResult> {
  static override summary = 'Log in to the ViWorkS admin API';
  static override description =
    `Asks for the password and the TOTP code (or reads them from stdin, one per line, in the order they are needed). The first time, it also sets a new password and enrolls TOTP; the otpauth URI is shown once on stderr (not with --json: finish the setup in a terminal). The backend URL, CA and pins are remembered for the next login. The session token is never printed.`;
  static override examples = [
    '<%= config.bin %> admin login --backend https://vpn.example.com:8443 --ca root.crt --pin P1= --pin P2= --username admin',
    'printf "%s\\n%s\\n" "$PW" "$CODE" | <%= config.bin %> admin login --username alice --password-stdin --totp-stdin --json',
  ];
  static override flags = {
    ...trustFlags,
    username: Flags.string({ char: 'u', description: 'Admin username (default: the last one used)' }),
    'password-stdin': Flags.boolean({ description: 'Read the password from the next line of stdin' }),
    'totp-stdin': Flags.boolean({ description: 'Read each TOTP code from the next line of stdin' }),
    'new-password-stdin': Flags.boolean({ description: 'First login: read the new password from stdin' }),
    setup: Flags.boolean({ description: 'First login: the account has no TOTP yet, send no code' }),
  };

  async run(): Promise<AdminLoginResult> {
    const { flags } = await this.parse(AdminLogin);
    const stored = loadAdminSession();
    const trust = trustFromFlags(flags, stored);
    if (!trust)
      throw usageError('Which backend?', 'Pass --backend URL --ca FILE --pin PRIMARY --pin BACKUP.');
    const username =
      flags.username ?? stored?.username ?? (await this.input({ label: 'username', how: '--username NAME' }));
    let password = await this.input({
      label: 'password',
      secret: true,
      fromStdin: flags['password-stdin'],
      how: '--password-stdin',
    });
    const first = flags.setup
      ? ''
      : await this.input({
          label: 'TOTP code (Enter if you have not set one up yet)',
          fromStdin: flags['totp-stdin'],
          how: '--totp-stdin (or --setup at first login)',
          optional: true,
        });
    const client = adminClientFor(trust);
    const setup = { password_changed: false, totp_enrolled: false };
    let reply = await client.login(username, password, first ? this.code(first) : undefined);
    // At most: password change, TOTP enrollment, login again.
    for (let step = 0; reply.state !== 'ok'; step++) {
      if (step === 3)
        throw new CliError('VIW_E_INTERNAL', { message: 'The first-login setup did not finish' });
      client.setSessionToken(reply.token ?? null);
      if (reply.state === 'login_required') {
        this.progress('Setup finished. Log in once more with the NEXT code (each code works only once).');
        reply = await client.login(username, password, await this.nextCode(flags['totp-stdin']));
      } else if (reply.required.includes('password_change')) {
        this.progress(
          'First login: choose a new password (12+ characters, 6+ different, not your username).',
        );
        const next = await this.newPassword(username, password, flags['new-password-stdin']);
        reply = await client.changePassword(password, next);
        password = next;
        setup.password_changed = true;
      } else {
        reply = await this.enrollTotp(client, flags['totp-stdin']);
        setup.totp_enrolled = true;
      }
    }
    return this.finish(reply, setup, trust);
  }

  private code(text: string): string {
    if (!totpCode.check(text)) throw usageError('A TOTP code is 6 digits');
    return text;
  }

  private async nextCode(fromStdin: boolean): Promise<string> {
    const label = '6-digit code from your authenticator';
    return this.code(await this.input({ label, fromStdin, how: '--totp-stdin' }));
  }

  private async enrollTotp(client: AdminClient, fromStdin: boolean): Promise<AuthReplyT> {
    if (this.jsonEnabled()) {
      throw new CliError('VIW_E_SETUP_REQUIRED', {
        message: 'TOTP enrollment shows a secret, which --json never prints',
        hint: 'Finish the first login without --json: viworks admin login',
        details: ['totp_enroll'],
      });
    }
    const totp = await client.totpEnroll();
    process.stderr.write(
      [
        'Add this account to your authenticator app. It is shown ONCE:',
        `  ${totp.otpauth_uri}`,
        `  (secret ${totp.secret}, ${totp.algorithm}, ${totp.digits} digits, ${totp.period_s} s)`,
        '',
      ].join('\n'),
    );
    return client.totpConfirm(await this.nextCode(fromStdin));
  }

  private async finish(
    reply: AuthReplyT,
    setup: AdminLoginResult['setup'],
    trust: BackendTrust,
  ): Promise<AdminLoginResult> {
    if (!reply.token || !reply.expires_at)
      throw new CliError('VIW_E_INTERNAL', { message: 'No session token' });
    const info = {
      username: reply.username,
      role: reply.role,
      permissions: reply.permissions,
      expires_at: reply.expires_at,
    };
    const tokenStore = await saveAdminSession(trust, info, reply.token);
    const result: AdminLoginResult = {
      v: 1,
      ...info,
      idle_timeout_s: reply.idle_timeout_s ?? null,
      backend_url: trust.backend_url,
      token_store: tokenStore,
      setup,
    };
    this.log(`Logged in as ${result.username} (${result.role}) until ${result.expires_at}.`);
    this.log(`Session token kept in the ${tokenStore === 'keyring' ? 'OS keyring' : '0600 session file'}.`);
    return result;
  }
}
