// The desktop and phone sides of the identity flow, for bench/api-flow.bench.ts: login → the phone
// reads the code → verify → bootstrap → open the envelope. Every call goes through the test
// harness's pinned HTTPS client (chain verified against the backend's root AND the SPKI pinned) and
// is signed as the daemon/phone sign it (core/crypto/request-signing.ts). Nothing here touches the
// server's internals, so it runs in a worker thread, away from the server's event loop.
// Each call takes an explicit loopback source address: the per-IP limits are real, and the bench
// stays under them by spreading virtual users over 127.x.y.z (see SourceAddress).
import { randomBytes } from 'node:crypto';
import type { LoginResponse, VerifyResponse } from '../core/api/auth.js';
import { BACKEND_ROUTES } from '../core/api/backend-routes.js';
import { BOOTSTRAP_GRANT_HEADER, type BootstrapResponse } from '../core/api/client.js';
import type { PendingOtp } from '../core/api/mobile.js';
import { parseBootstrap } from '../core/bootstrap/payload.js';
import { toWireId } from '../core/bootstrap/wire-ids.js';
import { openEnvelope } from '../core/crypto/envelope.js';
import { importPrivateKey, type RecipientKey } from '../core/crypto/hpke.js';
import { signRequest } from '../core/crypto/request-signing.js';
import type { StartBanner } from '../server/banner.js';
import { type CallInit, type HttpReply, httpsCall } from '../server/testing/harness.js';

/** Where a client connects: the port, and the CA + pins it verifies the server against. */
export interface Target {
  readonly port: number;
  readonly ca: string;
  readonly banner: StartBanner;
}

/** One HTTPS request over the harness's pinned client (the same code path for flow and baseline). */
export function call<T>(target: Target, path: string, init: CallInit): Promise<HttpReply<T>> {
  const server = { port: target.port, banner: target.banner, close: async () => {} };
  return httpsCall<T>(server, target.ca, path, init);
}

/** Unique loopback source addresses from 127.2.0.0/16 (the harness's freshIp() uses 127.0.x.y). */
export class AddressPool {
  private next = 0;
  take(): string {
    const n = this.next++;
    if (n >= 250 * 250) throw new Error('address pool exhausted');
    return `127.2.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  }
}

/**
 * One client's source address, replaced by a fresh one after `usesPerAddress` units of work, so
 * that a fixed-window per-IP limit is never reached. Connections are kept alive per address (Node's
 * global https agent), so a new address also means a new TLS handshake.
 */
export class SourceAddress {
  private current = '';
  private left = 0;
  constructor(
    private readonly pool: AddressPool,
    private readonly usesPerAddress: number,
  ) {
    if (usesPerAddress < 1) throw new Error('usesPerAddress must be at least 1');
  }
  next(): string {
    if (this.left === 0) {
      this.current = this.pool.take();
      this.left = this.usesPerAddress;
    }
    this.left--;
    return this.current;
  }
}

/** What setup hands the clients (plain data, so it can cross to a worker thread). */
export interface BenchCredentials {
  readonly username: string;
  readonly password: string;
  /** The device id from enrollment (a UUID); also the desktop's signing key id. */
  readonly deviceId: string;
  /** 64-byte tweetnacl secret key of the desktop. */
  readonly signingSecretKey: Uint8Array;
  /** Raw 32-byte X25519 private key of the desktop (imported, then wiped, by `desktopFor`). */
  readonly hpkePrivateKey: Uint8Array;
  readonly phoneId: string;
  readonly phoneSecretKey: Uint8Array;
}

/** An enrolled desktop with a bound phone, as the two devices hold it. */
export interface BenchUser {
  readonly target: Target;
  readonly username: string;
  readonly password: string;
  readonly deviceId: string;
  /** toWireId('d', deviceId): what the envelope's AAD names. */
  readonly wireDeviceId: string;
  readonly signingSecretKey: Uint8Array;
  readonly recipientKey: RecipientKey;
  readonly phoneId: string;
  readonly phoneSecretKey: Uint8Array;
}

export async function desktopFor(target: Target, c: BenchCredentials): Promise<BenchUser> {
  const recipientKey = await importPrivateKey(c.hpkePrivateKey);
  c.hpkePrivateKey.fill(0);
  return {
    target,
    username: c.username,
    password: c.password,
    deviceId: c.deviceId,
    wireDeviceId: toWireId('d', c.deviceId),
    signingSecretKey: c.signingSecretKey,
    recipientKey,
    phoneId: c.phoneId,
    phoneSecretKey: c.phoneSecretKey,
  };
}

/** A request signed over the exact body bytes sent, like the daemon and the phone sign it. */
function signedCall<T>(
  target: Target,
  path: string,
  s: { keyId: string; secretKey: Uint8Array; json?: unknown; from: string },
): Promise<HttpReply<T>> {
  const raw = s.json === undefined ? '' : JSON.stringify(s.json);
  const method = s.json === undefined ? 'GET' : 'POST';
  const headers: Record<string, string> = {
    ...signRequest(s.keyId, s.secretKey, method, path, Buffer.from(raw)),
  };
  if (raw) headers['content-type'] = 'application/json';
  return call<T>(target, path, { method, headers, localAddress: s.from, ...(raw ? { raw } : {}) });
}

/** Step 1 (desktop): password login, signed by the device. Returns the transaction id. */
export async function login(u: BenchUser, from: string): Promise<string> {
  const reply = await signedCall<LoginResponse>(u.target, BACKEND_ROUTES.authLogin.path, {
    keyId: u.deviceId,
    secretKey: u.signingSecretKey,
    json: {
      username: u.username,
      password: u.password,
      device_id: u.deviceId,
      device_nonce: randomBytes(16).toString('base64url'),
    },
    from,
  });
  return expectOk(reply, 200, 'login').txn_id;
}

/** Step 2 (phone): reads the pending code (no long-poll: the login has already created it). */
export async function phoneOtp(u: BenchUser, txnId: string, from: string): Promise<string> {
  const reply = await signedCall<PendingOtp>(u.target, BACKEND_ROUTES.mobileOtp.path, {
    keyId: u.phoneId,
    secretKey: u.phoneSecretKey,
    from,
  });
  const otp = expectOk(reply, 200, 'phone otp');
  if (otp.txn_id !== txnId) throw new Error('phone otp: the pending code is for another transaction');
  if (otp.code === undefined)
    throw new Error('phone otp: an attested bench phone would need to reveal the code');
  return otp.code;
}

/** What a completed login hands the desktop. */
export interface LoginTokens {
  readonly access_token: string;
  readonly bootstrap_grant: string;
}

/** Step 3 (desktop): the code → access token + one-time bootstrap grant. Same source as the login. */
export async function verify(u: BenchUser, txnId: string, code: string, from: string): Promise<LoginTokens> {
  const reply = await signedCall<VerifyResponse>(u.target, BACKEND_ROUTES.authVerify.path, {
    keyId: u.deviceId,
    secretKey: u.signingSecretKey,
    json: { txn_id: txnId, otp_code: code },
    from,
  });
  const body = expectOk(reply, 200, 'verify');
  // A 200 without tokens asks for a password change first (accounts with a one-time password).
  if (!('access_token' in body)) throw new Error('verify: no tokens (password change required)');
  return body;
}

/** Step 4 (desktop): the sealed bootstrap. Same source address as the verify. */
export async function bootstrap(u: BenchUser, tokens: LoginTokens, from: string): Promise<BootstrapResponse> {
  const reply = await call<BootstrapResponse>(u.target, BACKEND_ROUTES.clientBootstrap.path, {
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      [BOOTSTRAP_GRANT_HEADER]: tokens.bootstrap_grant,
    },
    localAddress: from,
  });
  return expectOk(reply, 200, 'bootstrap');
}

/** Step 5 (desktop, no network): open the envelope and validate the payload, as the daemon does. */
export async function openBootstrap(u: BenchUser, reply: BootstrapResponse): Promise<void> {
  const plaintext = await openEnvelope(reply.envelope, {
    recipientKey: u.recipientKey,
    expectedDeviceId: u.wireDeviceId,
    expectedSessionId: reply.session_id,
  });
  try {
    const payload = parseBootstrap(plaintext);
    if (payload.session_id !== reply.session_id) throw new Error('bootstrap: payload names another session');
  } finally {
    plaintext.fill(0);
  }
}

export function expectOk<T>(reply: HttpReply<T>, status: number, step: string): T {
  if (reply.status !== status) {
    const code = (reply.body as { code?: unknown } | null)?.code;
    throw new Error(`${step}: HTTP ${reply.status}${typeof code === 'string' ? ` ${code}` : ''}`);
  }
  return reply.body;
}
