// Shared setup for daemon tests against a real backend: a user with a bound phone, a daemon
// fixture, and the login dialogue (password → the phone's code) through the LocalClient.
import assert from 'node:assert/strict';
import type { PhoneIdentity } from '../../mobile/sim/phone-client.js';
import type { ServerConfig } from '../../server/config.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../../server/testing/identity-fixtures.js';
import type { NetworkProtectionDeps } from '../engine/engine.js';
import type { KeyStore } from '../keystore/keystore.js';
import { type DaemonFixture, startDaemonFixture } from './daemon-fixture.js';

export interface BackendSession {
  readonly ts: TestServer;
  readonly d: DaemonFixture<KeyStore>;
  readonly phone: PhoneIdentity;
  readonly userId: string;
  /** Every code the phone showed (for secret searches). */
  readonly codes: string[];
  phoneCode(): Promise<string>;
  /** enroll with a fleet token (auto-approve) */
  enrollWithToken(password: string): Promise<void>;
  /** login + the phone's code; returns whether a password change is required */
  login(password: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startBackendSession(
  username: string,
  password: string,
  opts: {
    mustChangePassword?: boolean;
    server?: Partial<ServerConfig>;
    network?: (stateDir: string) => NetworkProtectionDeps;
    /** The daemon's key store (default: the encrypted file store). */
    keyStore?: (stateDir: string) => KeyStore;
  } = {},
): Promise<BackendSession> {
  const ts = await startTestServer({ mode: 'development', ...opts.server });
  const userId = (await createUser(ts, username, password, opts)).id;
  const phone = await boundPhone(ts, userId);
  const d = await startDaemonFixture<KeyStore>({
    ...(opts.network ? { network: opts.network } : {}),
    ...(opts.keyStore ? { keyStore: opts.keyStore } : {}),
  });
  const codes: string[] = [];
  const phoneCode = async () => {
    const pending = await phoneClient(ts).pendingOtp(phone, 10);
    assert.ok(pending, 'the phone shows a code');
    codes.push(pending.code);
    return pending.code;
  };
  return {
    ts,
    d,
    phone,
    userId,
    codes,
    phoneCode,
    enrollWithToken: async (pw) => {
      const r = await d.client.enroll({
        backend_url: `https://127.0.0.1:${ts.server.port}`,
        backend_pins: ts.server.banner.backend_pins,
        ca_pem: ts.ca,
        username,
        password: pw,
        enrollment_token: await createToken(ts),
      });
      assert.equal(r.enroll_state, 'enrolled');
    },
    login: async (pw) => {
      assert.equal((await d.client.login({ password: pw })).state, 'otp_pending');
      return (await d.client.otp({ otp_code: await phoneCode() })).password_change_required;
    },
    stop: async () => {
      await d.stop();
      await ts.stop();
    },
  };
}
