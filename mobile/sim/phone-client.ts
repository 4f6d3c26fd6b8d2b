// What the phone app does against the backend, as a typed client: bind with a one-time code,
// read the pending OTP (long-poll), deny a login. HTTPS with TLS 1.3 only, the chain verified
// against the backend's CA AND the server key pinned (SPKI, primary/backup): fail closed.
// Every request is signed with the phone's Ed25519 key (core/crypto/request-signing.ts).
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { encodeKey32 } from '../../core/api/common.js';
import {
  type Attestation,
  type BindResponse,
  type PendingOtp,
  phoneFingerprint,
} from '../../core/api/mobile.js';
import { constantTimeEqual } from '../../core/crypto/bytes.js';
import { spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { type Ed25519KeyPair, signRequest } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export interface PhoneClientOptions {
  /** Backend base URL, e.g. https://backend.example:8443 */
  readonly server: string;
  /** PEM of the CA that issued the backend certificate. */
  readonly ca: string;
  /** Accepted SPKI pins (base64 SHA-256), primary and backup. */
  readonly pins: readonly string[];
  readonly timeoutMs?: number;
}

/** A bound phone: its server-side id and its signing key. */
export interface PhoneIdentity {
  readonly mobileDeviceId: string;
  readonly keys: Ed25519KeyPair;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export class PhoneClient {
  private readonly base: URL;

  constructor(private readonly opts: PhoneClientOptions) {
    this.base = new URL(opts.server);
    if (this.base.protocol !== 'https:')
      throw new ViworksError('VIW_E_VALIDATION', { details: ['server: https only'] });
    if (opts.pins.length === 0)
      throw new ViworksError('VIW_E_VALIDATION', { details: ['pins: at least one'] });
  }

  /** Binds `keys` to the user the code was issued for (key id = the key's fingerprint). */
  async bind(
    code: string,
    platform: 'android' | 'ios',
    keys: Ed25519KeyPair,
    attestation: Attestation = { type: 'none' },
  ): Promise<BindResponse> {
    const body = { bind_code: code, platform, public_key: encodeKey32(keys.publicKey), attestation };
    const reply = await this.send(
      'POST',
      '/mobile/bind',
      body,
      phoneFingerprint(keys.publicKey),
      keys.secretKey,
    );
    return reply.body as BindResponse;
  }

  /** The pending challenge, or null; `waitS` > 0 long-polls (the server caps it at 25 s). */
  async pendingOtp(id: PhoneIdentity, waitS = 0): Promise<PendingOtp | null> {
    const path = waitS > 0 ? `/mobile/otp?wait=${Math.min(Math.floor(waitS), 25)}` : '/mobile/otp';
    const reply = await this.send('GET', path, undefined, id.mobileDeviceId, id.keys.secretKey);
    return reply.status === 204 ? null : (reply.body as PendingOtp);
  }

  async deny(id: PhoneIdentity, txnId: string): Promise<void> {
    await this.send('POST', '/mobile/otp/deny', { txn_id: txnId }, id.mobileDeviceId, id.keys.secretKey);
  }

  private send(method: string, path: string, json: unknown, keyId: string, secretKey: Uint8Array) {
    const body = json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(json), 'utf8');
    const headers: Record<string, string> = { ...signRequest(keyId, secretKey, method, path, body) };
    if (json !== undefined) headers['content-type'] = 'application/json';
    return new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || 443,
          path,
          method,
          headers,
          ca: this.opts.ca,
          minVersion: 'TLSv1.3',
          timeout: this.opts.timeoutMs ?? 40_000,
          checkServerIdentity: (host: string, cert: PeerCertificate) =>
            checkServerIdentity(host, cert) ?? this.checkPin(cert),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              parsed = null;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ status, body: parsed });
            else reject(ViworksError.fromBody(parsed));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['timeout'] })),
      );
      req.on('error', (err) =>
        reject(
          err instanceof ViworksError ? err : new ViworksError('VIW_E_BACKEND_UNREACHABLE', { cause: err }),
        ),
      );
      req.end(body);
    });
  }

  private checkPin(cert: PeerCertificate): Error | undefined {
    const presented = Buffer.from(spkiPinFromCertificate(cert.raw), 'base64');
    // Compare against every pin (no early exit) so timing does not tell which one matched.
    const matches = this.opts.pins.map((p) => constantTimeEqual(presented, Buffer.from(p, 'base64')));
    return matches.includes(true) ? undefined : new ViworksError('VIW_E_PIN_MISMATCH');
  }
}
