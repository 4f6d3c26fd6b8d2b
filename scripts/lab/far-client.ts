// "Someone elsewhere with the demo user's password": the SIEM test plan's credential stuffing
// (pki-siem §9.2, docs/detections.md). Runs inside the client namespace (a driver step) and speaks the
// real identity API from the lab's far sources (plan.farSources, each an AS of its own in the
// backend's extra-ranges file): it enrolls a software device of its own with a fleet token, then logs
// in with the right password and answers each code request with a wrong code, round-robin over the
// sources. The backend sees genuine OTP failures from three ASNs — exactly what a stuffing run
// through rented VPN exits looks like. Nothing here is a product path; it is the attacker.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { BACKEND_ROUTES } from '../../core/api/backend-routes.js';
import { encodeKey32 } from '../../core/api/common.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair } from '../../core/crypto/hpke.js';
import { generateSigningKeyPair, signRequest } from '../../core/crypto/request-signing.js';
import { encodeSpa } from '../../core/spa/encode.js';
import type { LabPlan } from './plan.js';
import { readLabState } from './state.js';

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface Signer {
  readonly keyId: string;
  readonly secretKey: Uint8Array;
}

function signedPost(
  plan: LabPlan,
  from: string,
  path: string,
  json: unknown,
  signer: Signer,
): Promise<Reply> {
  const state = readLabState(plan);
  const raw = Buffer.from(JSON.stringify(json));
  const headers = {
    ...signRequest(signer.keyId, signer.secretKey, 'POST', path, raw),
    'content-type': 'application/json',
    'content-length': String(raw.length),
  };
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: plan.backend.address,
        servername: plan.backendName,
        port: plan.backendPort,
        path,
        method: 'POST',
        headers,
        ca: readFileSync(state.backend.caFile),
        minVersion: 'TLSv1.3',
        localAddress: from,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${path}: timed out`)));
    r.on('error', reject);
    r.end(raw);
  });
}

export interface StuffingResult {
  readonly device_id: string;
  /** One entry per attempt: the source and what /auth/verify answered. */
  readonly attempts: readonly {
    readonly source: string;
    readonly status: number;
    readonly code: string | null;
  }[];
}

/** Enrolls an attacker device, then `attempts` logins each answered with a wrong code. */
export async function otpStuffing(
  plan: LabPlan,
  creds: { readonly username: string; readonly password: string; readonly token: string },
  attempts: number,
): Promise<StuffingResult> {
  const sources = plan.farSources.map((f) => f.address);
  const hpke = await generateDeviceKeyPair();
  hpke.privateKey.fill(0);
  const signing = generateSigningKeyPair();
  const fingerprint = deviceFingerprint(hpke.publicKey, signing.publicKey);
  const enrolled = await signedPost(
    plan,
    sources[0]!,
    BACKEND_ROUTES.deviceEnroll.path,
    {
      hpke_public_key: encodeKey32(hpke.publicKey),
      signing_public_key: encodeKey32(signing.publicKey),
      fingerprint,
      platform: 'linux',
      client_version: '0.1.0',
      key_protection: 'software',
      username: creds.username,
      password: creds.password,
      enrollment_token: creds.token,
    },
    { keyId: fingerprint, secretKey: signing.secretKey },
  );
  if (enrolled.status !== 201)
    throw new Error(`far enroll: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
  const deviceId = String(enrolled.body.device_id);
  const device = { keyId: deviceId, secretKey: signing.secretKey };
  const results: { source: string; status: number; code: string | null }[] = [];
  for (let i = 0; i < attempts; i++) {
    const source = sources[i % sources.length]!;
    const login = await signedPost(
      plan,
      source,
      BACKEND_ROUTES.authLogin.path,
      {
        username: creds.username,
        password: creds.password,
        device_id: deviceId,
        device_nonce: Buffer.from(`far-${i}-nonce-nonce`).toString('base64url'),
      },
      device,
    );
    if (login.status !== 200 || typeof login.body.txn_id !== 'string') {
      results.push({ source, status: login.status, code: String(login.body.code ?? 'no txn') });
      continue;
    }
    // A code no phone showed (the right one is a 1 in a million accident: then the count is one short).
    const verify = await signedPost(
      plan,
      source,
      BACKEND_ROUTES.authVerify.path,
      { txn_id: login.body.txn_id, otp_code: '000000' },
      device,
    );
    results.push({
      source,
      status: verify.status,
      code: typeof verify.body.code === 'string' ? verify.body.code : null,
    });
  }
  signing.secretKey.fill(0);
  return { device_id: deviceId, attempts: results };
}

/** Where `spa-knock` reads a device's SPA keys (a 0600 file the test writes from the gateway's access.conf). */
export interface KnockKeys {
  readonly username: string;
  readonly key_b64: string;
  readonly hmac_b64: string;
}

export const SPA_PORT = 62201;

/**
 * A knock nobody follows with TLS, then the same datagram `repeats` more times: fwknopd accepts the
 * first (`spa.accepted`, the gateway opens 443 for 20 s) and refuses the rest as replays
 * (`spa.replayed`) — the SIEM test plan's "SPA without TLS" and "SPA bursts".
 */
export async function spaKnock(plan: LabPlan, keysFile: string, repeats: number): Promise<{ sent: number }> {
  const keys = JSON.parse(readFileSync(keysFile, 'utf8')) as KnockKeys;
  const encKey = Buffer.from(keys.key_b64, 'base64');
  const hmacKey = Buffer.from(keys.hmac_b64, 'base64');
  const packet = Buffer.from(
    encodeSpa({
      encKey,
      hmacKey,
      username: keys.username,
      accessIp: plan.client.address,
      accessPorts: [{ proto: 'tcp', port: 443 }],
      clientTimeout: 20,
    }),
    'ascii',
  );
  encKey.fill(0);
  hmacKey.fill(0);
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) =>
      socket.bind({ address: plan.client.address }, () => resolve()).once('error', reject),
    );
    for (let i = 0; i <= repeats; i++) {
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, SPA_PORT, plan.gateway.address, (err) => (err ? reject(err) : resolve())),
      );
      // The first one alone, so it is the accepted one; the replays close behind it.
      await new Promise((r) => setTimeout(r, i === 0 ? 500 : 50));
    }
  } finally {
    socket.close();
  }
  return { sent: repeats + 1 };
}
