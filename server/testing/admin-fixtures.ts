// Test fixtures for the admin API: a real test server plus direct access to its context to create
// accounts (with TOTP already enrolled), admin sessions, devices, gateways and VPN sessions without
// going through login each time (login is rate limited per source address).
import { randomBytes, randomUUID } from 'node:crypto';
import type { UserRole } from '../../core/api/admin.js';
import type { AppContext } from '../context.js';
import type { User } from '../data/client.js';
import { kdfParamsOf } from '../data/first-admin-store.js';
import { AdminSessionTokens } from '../services/admin/session-tokens.js';
import { hotp, totpStep } from '../services/admin/totp.js';
import { sealTotpSecret } from '../services/admin/totp-seal.js';
import { hashPassword } from '../services/auth/passwords.js';
import { type HttpReply, startTestServer, type TestServer } from './harness.js';

export interface AdminTestServer {
  readonly srv: TestServer;
  readonly ctx: AppContext;
}

/** A test server (configured as `overrides` say, e.g. development mode) and its context. */
export async function startAdminTestServer(
  overrides: Parameters<typeof startTestServer>[0] = {},
): Promise<AdminTestServer> {
  const srv = await startTestServer(overrides);
  if (!srv.server.ctx) throw new Error('the test server does not expose its context');
  return { srv, ctx: srv.server.ctx };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The code for the current step (+ offset steps). */
export function totpCode(secret: Uint8Array, offsetSteps = 0, nowMs = Date.now()): string {
  return hotp(secret, totpStep(nowMs) + offsetSteps, 6, 'SHA1');
}

export interface TestAccount {
  readonly user: User;
  readonly password: string;
  readonly totpSecret: Buffer;
}

/** An account that finished setup: password set, TOTP confirmed. */
export async function createAccount(
  ctx: AppContext,
  role: UserRole,
  username?: string,
): Promise<TestAccount> {
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const passwordHash = await hashPassword(password);
  const totpSecret = randomBytes(20);
  const created = await ctx.db.user.create({
    data: {
      username: username ?? `${role.toLowerCase()}-${randomBytes(4).toString('hex')}`,
      role,
      passwordHash,
      kdfParams: kdfParamsOf(passwordHash),
      mustChangePassword: false,
      totpConfirmedAt: new Date(),
    },
  });
  const user = await ctx.db.user.update({
    where: { id: created.id },
    data: { totpSecretSealed: sealTotpSecret(ctx.secrets.adminTotpKey, created.id, totpSecret) },
  });
  return { user, password, totpSecret };
}

/** A full (or setup) admin session for the account, as a successful login would issue it. */
export async function sessionFor(
  ctx: AppContext,
  user: Pick<User, 'id' | 'authEpoch'>,
  scope: 'full' | 'setup' = 'full',
): Promise<string> {
  const { token } = await new AdminSessionTokens(ctx.kv, ctx.now).issue({
    userId: user.id,
    scope,
    epoch: user.authEpoch,
    mfa: scope === 'full',
  });
  return token;
}

export async function createGateway(ctx: AppContext) {
  return ctx.db.gateway.create({
    data: {
      name: `gw-${randomBytes(4).toString('hex')}`,
      fqdn: 'gw.test.internal',
      sshHostKeyFingerprint: `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`,
      status: 'active',
    },
  });
}

export async function createDevice(
  ctx: AppContext,
  userId: string,
  status: 'pending_approval' | 'active' | 'revoked' = 'pending_approval',
) {
  return ctx.db.desktopDevice.create({
    data: {
      userId,
      hpkePublicKey: randomBytes(32).toString('base64url'),
      signingPublicKey: randomBytes(32).toString('base64url'),
      fingerprint: randomBytes(32).toString('hex'),
      platform: 'linux',
      clientVersion: '0.1.0',
      keyProtection: 'software',
      status,
    },
  });
}

/** A live VPN session row (the bootstrap service makes real ones). */
export async function createVpnSession(
  ctx: AppContext,
  input: { userId: string; deviceId: string; gatewayId: string },
) {
  return ctx.db.session.create({
    data: { ...input, expiresAt: new Date(Date.now() + 3600_000), clientCertSerial: null },
  });
}

export const randomId = () => randomUUID();

/** Asserts a refusal has the catalogue shape and nothing that looks like a stack trace. */
export function refusal(reply: HttpReply): { code: string; status: number } {
  const body = reply.body as { code?: unknown; message?: unknown; hint?: unknown };
  if (typeof body?.code !== 'string' || typeof body.message !== 'string' || typeof body.hint !== 'string') {
    throw new Error(`not an error body: ${reply.text.slice(0, 200)}`);
  }
  if (/\bat .+\(.+:\d+:\d+\)|"stack"|node_modules|\.ts:\d+/.test(reply.text)) {
    throw new Error(`stack trace in reply: ${reply.text.slice(0, 200)}`);
  }
  return { code: body.code, status: reply.status };
}
