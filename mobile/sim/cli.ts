// The phone simulator's commands (viworks-phone bind | otp | deny): parse flags, call PhoneClient,
// format. `--json` prints exactly one object (the command's result, or {v, error}) and nothing else.
// Exit codes: 0 ok, 1 refused/failed, 2 usage, 3 `otp --wait` found no code before --timeout.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import nacl from 'tweetnacl';
import { encodeKey32 } from '../../core/api/common.js';
import type { PendingOtp } from '../../core/api/mobile.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { attestationIdentityFrom, SoftwareAuthenticator } from './authenticator.js';
import { PhoneClient } from './phone-client.js';
import { keysOf, loadState, saveState, stateExists } from './state.js';

export interface BindResult {
  readonly v: 1;
  readonly mobile_device_id: string;
  readonly status: 'active';
  readonly attestation_verdict: 'pass' | 'unknown';
  readonly trust_mode: 'production' | 'development';
}
export interface OtpResult {
  readonly v: 1;
  readonly otp: PendingOtp | null;
}
export interface DenyResult {
  readonly v: 1;
  readonly txn_id: string;
  readonly status: 'denied';
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `usage: viworks-phone <bind|otp|deny> --server URL --ca FILE --pin B64 [--pin B64] --state FILE [--json]
  bind --code CODE [--platform android|ios] [--attestation FILE] [--force]
                                                        bind this simulated phone to the code's user;
                                                        with --attestation, through a WebAuthn credential
                                                        attested by that identity (what production needs)
  otp  [--wait] [--timeout SECONDS]                     print the pending 6-digit code
  deny --txn TXN_ID                                     deny a pending login`;

const OPTIONS = {
  server: { type: 'string' },
  ca: { type: 'string' },
  pin: { type: 'string', multiple: true },
  state: { type: 'string' },
  json: { type: 'boolean', default: false },
  code: { type: 'string' },
  platform: { type: 'string', default: 'android' },
  force: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '120' },
  txn: { type: 'string' },
  attestation: { type: 'string' },
} as const;

class UsageError extends Error {}

function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing --${flag}`);
  return value;
}

export async function runPhoneCli(argv: readonly string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
    json = values.json;
    const command = positionals[0];
    if (positionals.length !== 1 || !['bind', 'otp', 'deny'].includes(command ?? '')) {
      throw new UsageError('expected exactly one command: bind, otp or deny');
    }
    const statePath = need(values.state, 'state');
    const client = new PhoneClient({
      server: need(values.server, 'server'),
      ca: readFileSync(need(values.ca, 'ca'), 'utf8'),
      pins: need(values.pin, 'pin'),
    });
    const print = (result: object, human: string) =>
      io.out(json ? `${JSON.stringify(result)}\n` : `${human}\n`);

    if (command === 'bind') {
      const platform = values.platform;
      if (platform !== 'android' && platform !== 'ios')
        throw new UsageError('--platform must be android or ios');
      if (stateExists(statePath) && !values.force)
        throw new UsageError(`${statePath} exists; use --force to replace`);
      const seed = randomBytes(32);
      const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(seed));
      const code = need(values.code, 'code');
      const origin = new URL(need(values.server, 'server')).origin;
      const authenticator = values.attestation
        ? SoftwareAuthenticator.create(attestationIdentityFrom(readFileSync(values.attestation, 'utf8')))
        : null;
      const bound = authenticator
        ? await client.bindAttested(code, platform, keys, authenticator, origin)
        : await client.bind(code, platform, keys);
      saveState(statePath, {
        v: 1,
        server: need(values.server, 'server'),
        mobile_device_id: bound.mobile_device_id,
        platform,
        public_key: encodeKey32(keys.publicKey),
        secret_seed: seed.toString('base64url'),
        bound_at: new Date().toISOString(),
        ...(authenticator ? { credential: { ...authenticator.save(), origin } } : {}),
      });
      seed.fill(0);
      keys.secretKey.fill(0);
      const result: BindResult = { v: 1, ...bound };
      print(result, `bound as ${bound.mobile_device_id} (trust mode: ${bound.trust_mode})`);
      return 0;
    }

    const state = loadState(statePath);
    const device = state.credential ? SoftwareAuthenticator.restore(state.credential) : null;
    const id = {
      mobileDeviceId: state.mobile_device_id,
      keys: keysOf(state),
      ...(device && state.credential ? { authenticator: { device, origin: state.credential.origin } } : {}),
    };
    if (command === 'deny') {
      const txn = need(values.txn, 'txn');
      await client.deny(id, txn);
      const result: DenyResult = { v: 1, txn_id: txn, status: 'denied' };
      print(result, 'login denied');
      return 0;
    }

    const timeoutS = Number(values.timeout);
    if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 3600)
      throw new UsageError('--timeout: 1..3600');
    const deadline = Date.now() + timeoutS * 1000;
    let otp = await client.pendingOtp(id, 0);
    while (!otp && values.wait && Date.now() < deadline) {
      otp = await client.pendingOtp(id, Math.max(1, Math.min(25, Math.ceil((deadline - Date.now()) / 1000))));
    }
    // An assertion advanced the credential's counter: keep it, or the next one looks cloned.
    if (device && state.credential && device.save().counter !== state.credential.counter) {
      saveState(statePath, { ...state, credential: { ...device.save(), origin: state.credential.origin } });
    }
    const result: OtpResult = { v: 1, otp };
    print(result, otp ? describe(otp) : 'no pending code');
    return otp || !values.wait ? 0 : 3;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      if (json)
        io.out(
          `${JSON.stringify({ v: 1, error: { code: 'VIW_E_VALIDATION', message: err instanceof Error ? err.message : 'usage' } })}\n`,
        );
      else io.err(`${err instanceof Error ? err.message : 'usage error'}\n${USAGE}\n`);
      return 2;
    }
    const viw = err instanceof ViworksError ? err : new ViworksError('VIW_E_INTERNAL', { cause: err });
    if (json) io.out(`${JSON.stringify({ v: 1, error: viw.toBody() })}\n`);
    else io.err(`error ${viw.code}: ${viw.message}\n  hint: ${viw.hint}\n`);
    return 1;
  }
}

function describe(otp: PendingOtp): string {
  const left = Math.max(0, Math.round((Date.parse(otp.expires_at) - Date.now()) / 1000));
  const c = otp.context;
  const what = otp.purpose === 'login' ? 'login' : 'new desktop enrollment';
  const desktop = `${c.device_name ?? 'unnamed desktop'} (${c.device_platform}${c.device_id ? `, device ${c.device_id}` : ''})`;
  return `${otp.code}  (${what} of ${desktop} from ${whereFrom(c)}; expires in ${left} s; txn ${otp.txn_id})`;
}

/** `203.0.113.9, DE, AS64500 Example Carrier`, `10.1.2.3, private network`, or `…, location unknown`. */
function whereFrom(c: PendingOtp['context']): string {
  if (c.source_network === 'private') return `${c.source_ip}, private network`;
  const asn = c.asn ? `AS${c.asn.number}${c.asn.organization ? ` ${c.asn.organization}` : ''}` : null;
  const known = [c.country, asn].filter((part) => part !== null);
  return `${c.source_ip}, ${known.length > 0 ? known.join(', ') : 'location unknown'}`;
}
