import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import type { EnrollResponse } from '../../core/localclient/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { readStdinLine } from '../lib/input.js';
import { CliError, usageError } from '../lib/output.js';
import type { EnrollResult } from '../lib/results.js';
import { trustFlags, trustFromFlags } from '../lib/trust.js';

const TOKEN = /^viw_et_[A-Za-z0-9_-]{43}$/;

/**
 * Binds this machine to a user: the daemon makes the device keys and enrolls them with the backend
 * (pinned TLS). With a fleet token (--token-file) the device may be approved at once; without one,
 * the backend sends a code to the user's phone and an administrator approves the device.
 * Stdin lines, when asked for: the token (--token-file -), the password, the phone code.
 */
export default class Enroll extends DaemonCommand<EnrollResult> {
  static override summary = 'Enroll this machine (interactive, or with a fleet token)';
  static override examples = [
    '<%= config.bin %> enroll   # asks for everything',
    'printf "%s\\n" "$PW" | <%= config.bin %> enroll --backend https://vpn.example.com:8443 --ca root.crt --pin P1= --pin P2= --username alice --token-file fleet.token --password-stdin --json',
  ];
  static override flags = {
    ...socketFlag,
    ...trustFlags,
    username: Flags.string({ char: 'u', description: 'The user this device belongs to' }),
    'token-file': Flags.string({
      description: 'Fleet enrollment token: a file, or - for the first line of stdin',
      helpValue: 'FILE',
    }),
    'password-stdin': Flags.boolean({ description: 'Read the password from the next line of stdin' }),
    'otp-stdin': Flags.boolean({
      description: 'Without a token: read the phone code from the next line of stdin',
    }),
  };

  async run(): Promise<EnrollResult> {
    const { flags } = await this.parse(Enroll);
    const client = this.daemon(flags);
    const before = await client.status();
    if (before.device && before.device.status !== 'revoked') {
      this.log(
        `Already enrolled: device ${before.device.device_id} (${before.device.status}) for ${before.device.username}.`,
      );
      return { v: 1, enroll_state: 'already_enrolled', device: before.device };
    }
    const trust = trustFromFlags({
      backend: flags.backend ?? (await this.input({ label: 'backend URL', how: '--backend URL' })),
      ca: flags.ca ?? (await this.input({ label: 'backend root CA file (PEM)', how: '--ca FILE' })),
      pin: flags.pin ?? [
        await this.input({ label: 'primary backend pin', how: '--pin PRIMARY --pin BACKUP' }),
        await this.input({ label: 'backup backend pin', how: '--pin PRIMARY --pin BACKUP' }),
      ],
    });
    if (!trust) throw usageError('Which backend?');
    const username = flags.username ?? (await this.input({ label: 'username', how: '--username NAME' }));
    const token = flags['token-file'] === undefined ? undefined : await readToken(flags['token-file']);
    const password = await this.input({
      label: 'password',
      secret: true,
      fromStdin: flags['password-stdin'],
      how: '--password-stdin',
    });
    this.progress('Enrolling (making the device keys, contacting the backend)…');
    let reply: EnrollResponse = await client.enroll({
      backend_url: trust.backend_url,
      backend_pins: trust.pins,
      ca_pem: trust.ca_pem,
      username,
      password,
      ...(token ? { enrollment_token: token } : {}),
    });
    if (reply.enroll_state === 'otp_required') {
      this.progress(`A code was sent to your phone (valid until ${reply.otp_expires_at ?? '?'}).`);
      const code = await this.input({
        label: '6-digit code from your phone',
        fromStdin: flags['otp-stdin'],
        how: '--otp-stdin',
      });
      reply = await client.enrollConfirm({ otp_code: code });
    }
    if (!reply.device)
      throw new CliError('VIW_E_INTERNAL', { message: 'The daemon did not return the device' });
    const d = reply.device;
    this.log(`Enrolled: device ${d.device_id} for ${d.username}, ${d.status}.`);
    if (d.status === 'pending_approval') this.log('An administrator must approve it before you can connect.');
    return { v: 1, enroll_state: 'enrolled', device: d };
  }
}

async function readToken(source: string): Promise<string> {
  let token: string;
  if (source === '-') token = await readStdinLine('the enrollment token');
  else {
    try {
      token = readFileSync(source, 'utf8').slice(0, 256).trim();
    } catch {
      throw usageError(`Cannot read the token file ${source}`);
    }
  }
  if (!TOKEN.test(token))
    throw usageError('That is not an enrollment token (viw_et_…)', 'Ask IT for the token file.');
  return token;
}
