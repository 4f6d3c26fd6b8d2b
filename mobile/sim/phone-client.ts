// What the phone app does against the backend, as a typed client: bind with a one-time code,
// read the pending OTP (long-poll), deny a login. It speaks through the one pinned transport and
// the typed BackendClient of core/backendclient (TLS 1.3 only, the backend's CA AND its SPKI pins,
// replies checked against the route table's schemas), and signs every request with the phone's
// Ed25519 key (core/crypto/request-signing.ts).
import { encodeKey32 } from '../../core/api/common.js';
import type { Attestation, BindResponse, PendingOtp } from '../../core/api/mobile.js';
import { BackendClient, type Signer } from '../../core/backendclient/backend-client.js';
import { PinnedTransport } from '../../core/backendclient/pinned-transport.js';
import { phoneFingerprint } from '../../core/crypto/fingerprints.js';
import { type Ed25519KeyPair, signRequest } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { SoftwareAuthenticator } from './authenticator.js';

export interface PhoneClientOptions {
  /** Backend base URL, e.g. https://backend.example:8443 */
  readonly server: string;
  /** PEM of the CA that issued the backend certificate. */
  readonly ca: string;
  /** Accepted SPKI pins (base64 SHA-256): the primary, then the backup (one pin is used for both). */
  readonly pins: readonly string[];
  readonly timeoutMs?: number;
}

/** A bound phone: its server-side id, its signing key, and (attested phones) its credential. */
export interface PhoneIdentity {
  readonly mobileDeviceId: string;
  readonly keys: Ed25519KeyPair;
  /** The WebAuthn credential it was bound with, and the origin it was made for. */
  readonly authenticator?: { readonly device: SoftwareAuthenticator; readonly origin: string };
}

/** A pending challenge with its code: revealed after user verification where the phone must. */
export type ShownOtp = PendingOtp & { readonly code: string };

const signerOf =
  (keyId: string, secretKey: Uint8Array): Signer =>
  (method, path, body) =>
    signRequest(keyId, secretKey, method, path, body);

export class PhoneClient {
  private readonly backend: BackendClient;

  constructor(opts: PhoneClientOptions) {
    const [primary, backup] = opts.pins;
    if (primary === undefined)
      throw new ViworksError('VIW_E_VALIDATION', { details: ['pins: at least one'] });
    const transport = new PinnedTransport(
      { url: opts.server, caPem: opts.ca, pins: { primary_b64: primary, backup_b64: backup ?? primary } },
      // Long enough for a 25 s long-poll of the pending code.
      { timeoutMs: opts.timeoutMs ?? 40_000 },
    );
    this.backend = new BackendClient(transport);
  }

  /** Binds `keys` to the user the code was issued for (key id = the key's fingerprint). */
  bind(
    code: string,
    platform: 'android' | 'ios',
    keys: Ed25519KeyPair,
    attestation: Attestation = { type: 'none' },
  ): Promise<BindResponse> {
    const body = { bind_code: code, platform, public_key: encodeKey32(keys.publicKey), attestation };
    return this.backend.bindPhone(body, signerOf(phoneFingerprint(keys.publicKey), keys.secretKey));
  }

  /**
   * Binds with a WebAuthn platform credential: asks for the challenge, lets the authenticator
   * create the credential with `direct` attestation (user verified), and binds with it — what the
   * phone app does, and the only binding a production backend accepts.
   */
  async bindAttested(
    code: string,
    platform: 'android' | 'ios',
    keys: Ed25519KeyPair,
    authenticator: SoftwareAuthenticator,
    origin: string,
  ): Promise<BindResponse> {
    const publicKey = encodeKey32(keys.publicKey);
    const signer = signerOf(phoneFingerprint(keys.publicKey), keys.secretKey);
    const options = await this.backend.bindOptions({ bind_code: code, public_key: publicKey }, signer);
    const registration = authenticator.register({
      rpId: options.rp_id,
      origin,
      challenge: options.challenge,
    });
    return this.backend.bindPhone(
      { bind_code: code, platform, public_key: publicKey, attestation: { type: 'webauthn', registration } },
      signer,
    );
  }

  /**
   * The pending challenge and its code, or null; `waitS` > 0 long-polls (the server caps it at
   * 25 s). An attested phone is sent a `reveal` challenge instead of the code: the authenticator
   * asserts with user verification (what the app asks the person for) and the code comes back.
   */
  async pendingOtp(id: PhoneIdentity, waitS = 0): Promise<ShownOtp | null> {
    const signer = signerOf(id.mobileDeviceId, id.keys.secretKey);
    const pending = await this.backend.pendingOtp(signer, waitS);
    if (!pending) return null;
    if (pending.code !== undefined) return { ...pending, code: pending.code };
    if (!pending.reveal || !id.authenticator) {
      throw new ViworksError('VIW_E_ATTESTATION_REQUIRED', {
        details: ['this phone must verify its user with its bound credential to see the code'],
      });
    }
    const assertion = id.authenticator.device.authenticate({
      rpId: pending.reveal.rp_id,
      origin: id.authenticator.origin,
      challenge: pending.reveal.challenge,
    });
    const revealed = await this.backend.revealOtp({ txn_id: pending.txn_id, assertion }, signer);
    return { ...pending, code: revealed.code };
  }

  deny(id: PhoneIdentity, txnId: string): Promise<void> {
    return this.backend.denyOtp(txnId, signerOf(id.mobileDeviceId, id.keys.secretKey));
  }
}
