// Test fixtures for the identity routes (auth, device, mobile): users, enrollment tokens, desktop
// and phone keys, device-signed calls. They act through the running server's context (no test-only
// routes) and through the real HTTPS API.

import { encodeKey32 } from '../../core/api/common.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair } from '../../core/crypto/hpke.js';
import {
  type Ed25519KeyPair,
  generateSigningKeyPair,
  signRequest,
} from '../../core/crypto/request-signing.js';
import { PhoneClient, type PhoneIdentity } from '../../mobile/sim/phone-client.js';
import type { AppContext } from '../context.js';
import { kdfParamsOf } from '../data/first-admin-store.js';
import { hashPassword } from '../services/auth/passwords.js';
import { createEnrollmentToken } from '../services/device/enrollment-tokens.js';
import { issueBindCode } from '../services/mobile/bind-codes.js';
import type { HttpReply, TestServer } from './harness.js';

export function ctxOf(ts: TestServer): AppContext {
  if (!ts.server.ctx) throw new Error('the running server does not expose its context');
  return ts.server.ctx;
}

let nextIp = 1;
/** A fresh loopback source address, so per-IP limits of one test do not spill into the next. */
export function freshIp(): string {
  const n = nextIp++;
  return `127.0.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`;
}

export async function createUser(
  ts: TestServer,
  username: string,
  password: string,
  opts: { mustChangePassword?: boolean } = {},
) {
  const passwordHash = await hashPassword(password);
  return ctxOf(ts).db.user.create({
    data: {
      username,
      role: 'User',
      passwordHash,
      kdfParams: kdfParamsOf(passwordHash),
      mustChangePassword: opts.mustChangePassword ?? false,
    },
  });
}

export async function createToken(ts: TestServer, opts: { autoApprove?: boolean; maxUses?: number } = {}) {
  const db = ctxOf(ts).db;
  const admin = await db.user.findFirstOrThrow({ where: { role: 'Admin' } });
  const { token } = await createEnrollmentToken(db, {
    createdById: admin.id,
    maxUses: opts.maxUses ?? 1,
    expiresAt: new Date(Date.now() + 3_600_000),
    tags: ['test'],
    autoApprove: opts.autoApprove ?? true,
  });
  return token;
}

export interface DesktopKeys {
  readonly hpkePublicKey: string;
  readonly signingPublicKey: string;
  readonly fingerprint: string;
  readonly signing: Ed25519KeyPair;
}

export async function newDesktopKeys(): Promise<DesktopKeys> {
  const hpke = await generateDeviceKeyPair();
  hpke.privateKey.fill(0);
  const signing = generateSigningKeyPair();
  return {
    hpkePublicKey: encodeKey32(hpke.publicKey),
    signingPublicKey: encodeKey32(signing.publicKey),
    fingerprint: deviceFingerprint(hpke.publicKey, signing.publicKey),
    signing,
  };
}

export interface SignedInit {
  readonly keyId: string;
  readonly secretKey: Uint8Array;
  readonly json?: unknown;
  readonly method?: string;
  readonly localAddress?: string;
  /** Sent instead of the signature headers (negative tests). */
  readonly headers?: Record<string, string>;
}

/** A call signed like the daemon/phone sign it: over the exact body bytes sent. */
export function signedCall<T = unknown>(
  ts: TestServer,
  path: string,
  init: SignedInit,
): Promise<HttpReply<T>> {
  const raw = init.json === undefined ? '' : JSON.stringify(init.json);
  const method = init.method ?? (init.json === undefined ? 'GET' : 'POST');
  const headers = init.headers ?? {
    ...signRequest(init.keyId, init.secretKey, method, path, Buffer.from(raw)),
  };
  return ts.call<T>(path, {
    method,
    ...(raw ? { raw, headers: { ...headers, 'content-type': 'application/json' } } : { headers }),
    ...(init.localAddress ? { localAddress: init.localAddress } : {}),
  });
}

export function enrollBody(keys: DesktopKeys, extra: Record<string, unknown>) {
  return {
    hpke_public_key: keys.hpkePublicKey,
    signing_public_key: keys.signingPublicKey,
    fingerprint: keys.fingerprint,
    platform: 'linux',
    client_version: '0.1.0',
    key_protection: 'software',
    ...extra,
  };
}

/**
 * Enrolls a new desktop for `username` with a fresh auto-approve token (proposing `name`, if
 * given, as its device name); returns its id and keys.
 */
export async function enrolledDesktop(ts: TestServer, username: string, password: string, name?: string) {
  const keys = await newDesktopKeys();
  const token = await createToken(ts);
  const reply = await signedCall<{ device_id: string }>(ts, '/device/enroll', {
    keyId: keys.fingerprint,
    secretKey: keys.signing.secretKey,
    json: enrollBody(keys, {
      username,
      password,
      enrollment_token: token,
      ...(name === undefined ? {} : { device_name: name }),
    }),
    localAddress: freshIp(),
  });
  if (reply.status !== 201) throw new Error(`enroll failed: ${reply.status} ${reply.text}`);
  return { deviceId: reply.body.device_id, keys };
}

export function phoneClient(ts: TestServer): PhoneClient {
  return new PhoneClient({
    server: `https://127.0.0.1:${ts.server.port}`,
    ca: ts.ca,
    pins: [ts.server.banner.backend_pins.primary_b64, ts.server.banner.backend_pins.backup_b64],
  });
}

/** Issues a bind code through the server's own store (as the admin API does) and binds a phone. */
export async function boundPhone(ts: TestServer, userId: string): Promise<PhoneIdentity> {
  const { code } = await issueBindCode(ctxOf(ts).kv, { userId, issuedBy: 'test' });
  const keys = generateSigningKeyPair();
  const bound = await phoneClient(ts).bind(code, 'android', keys);
  return { mobileDeviceId: bound.mobile_device_id, keys };
}

export function loginBody(username: string, password: string, deviceId: string) {
  return { username, password, device_id: deviceId, device_nonce: 'bm9uY2Utbm9uY2Utbm9uY2U' };
}
