// Test fixtures for the client routes: a user with an enrolled, active desktop (and the device's
// HPKE private key, as the desktop would hold it), and the access token + bootstrap grant that
// POST /auth/verify would hand out — made directly through the services, so these tests do not
// depend on the login flow.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { generateDeviceKeyPair, importPrivateKey, type RecipientKey } from '../../core/crypto/hpke.js';
import type { AppContext } from '../context.js';
import type { DesktopDevice, DeviceStatus, User } from '../data/client.js';
import {
  ACCESS_TOKEN_TTL_MS,
  type AccessClaims,
  accessTokens,
  BOOTSTRAP_GRANT_TTL_MS,
  bootstrapGrants,
} from '../services/auth/grants.js';
import type { HttpReply, TestServer } from './harness.js';

export interface Desktop {
  readonly user: User;
  readonly device: DesktopDevice;
  /** toWireId('d', device.id): what the envelope's AAD names. */
  readonly wireDeviceId: string;
  readonly recipientKey: RecipientKey;
}

export async function enrolledDesktop(ctx: AppContext, status: DeviceStatus = 'active'): Promise<Desktop> {
  const user = await ctx.db.user.create({
    data: {
      username: `user-${randomUUID()}`,
      role: 'User',
      passwordHash: 'not-a-real-hash',
      kdfParams: 'none',
      mustChangePassword: false,
    },
  });
  const { publicKey, privateKey } = await generateDeviceKeyPair();
  const signing = randomBytes(32);
  const device = await ctx.db.desktopDevice.create({
    data: {
      userId: user.id,
      hpkePublicKey: Buffer.from(publicKey).toString('base64url'),
      signingPublicKey: signing.toString('base64url'),
      fingerprint: createHash('sha256').update(publicKey).update(signing).digest('hex'),
      platform: 'linux',
      clientVersion: '0.1.0',
      keyProtection: 'software',
      status,
    },
  });
  const recipientKey = await importPrivateKey(privateKey);
  privateKey.fill(0);
  return { user, device, wireDeviceId: toWireId('d', device.id), recipientKey };
}

export interface LoginTokens {
  readonly accessToken: string;
  readonly grant: string;
  readonly claims: AccessClaims;
}

export async function loginTokens(
  ctx: AppContext,
  d: Desktop,
  overrides: Partial<AccessClaims> = {},
): Promise<LoginTokens> {
  const claims: AccessClaims = {
    userId: d.user.id,
    deviceId: d.device.id,
    sourceIp: '127.0.0.1',
    loginTxnId: `viw_tx_${randomBytes(32).toString('base64url')}`,
    issuedAt: Date.now(),
    ...overrides,
  };
  return {
    accessToken: await accessTokens(ctx.kv).issue(claims, ACCESS_TOKEN_TTL_MS),
    grant: await bootstrapGrants(ctx.kv).issue(claims, BOOTSTRAP_GRANT_TTL_MS),
    claims,
  };
}

export function fetchBootstrap<T = unknown>(
  srv: TestServer,
  t: { accessToken?: string; grant?: string },
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = {};
  if (t.accessToken !== undefined) headers.authorization = `Bearer ${t.accessToken}`;
  if (t.grant !== undefined) headers['viworks-bootstrap-grant'] = t.grant;
  return srv.call<T>('/client/bootstrap', { headers });
}
