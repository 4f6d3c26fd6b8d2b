// The device keys of a software SecretStore (OS keyring, kernel keyring, encrypted file): X25519 for
// the sealed bootstrap, Ed25519 for request signing, kept as two named 32-byte secrets. Each use
// loads the key from the store, uses it, and wipes every buffer that held it. Software protection:
// the keys exist in this process's memory while in use (key type `x25519_ed25519`) — only in secret
// buffers (off the JS heap, wiped here) and inside OpenSSL (ed25519-seed.ts; WebCrypto for X25519).
import { randomFillSync } from 'node:crypto';
import { secretBytes, wipe } from '../../core/crypto/bytes.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { importPrivateKey, X25519_KEY_BYTES } from '../../core/crypto/hpke.js';
import { type SignedHeaders, signRequestWith } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { ED25519_SEED_BYTES, ed25519PublicKey, ed25519Sign, newEd25519Seed } from './ed25519-seed.js';
import {
  DEVICE_HPKE_KEY,
  DEVICE_SIGNING_KEY,
  type DeviceKeys,
  type NewDeviceKeys,
  type SecretStore,
} from './keystore.js';

export class SecretStoreDeviceKeys implements DeviceKeys {
  readonly keyType = 'x25519_ed25519' as const;

  constructor(private readonly store: SecretStore) {}

  get name(): string {
    return this.store.name;
  }

  get protection() {
    return this.store.protection;
  }

  async create(): Promise<NewDeviceKeys> {
    // Both private keys are born in secret buffers (any 32 random bytes are an X25519 key, RFC 7748
    // §5, and an Ed25519 seed, RFC 8032 §5.1.5), never in on-heap arrays the GC could copy.
    const hpkePrivate = randomFillSync(secretBytes(X25519_KEY_BYTES));
    const seed = newEd25519Seed();
    try {
      const hpke = await importPrivateKey(hpkePrivate);
      const hpkePublicKey = new Uint8Array(await crypto.subtle.exportKey('raw', hpke.publicKey));
      const signingPublicKey = ed25519PublicKey(seed);
      await this.store.put(DEVICE_HPKE_KEY, hpkePrivate);
      await this.store.put(DEVICE_SIGNING_KEY, seed);
      return {
        keyType: this.keyType,
        hpkePublicKey,
        signingPublicKey,
        fingerprint: deviceFingerprint(hpkePublicKey, signingPublicKey),
      };
    } finally {
      wipe(hpkePrivate, seed);
    }
  }

  async delete(): Promise<void> {
    await this.store.delete(DEVICE_HPKE_KEY);
    await this.store.delete(DEVICE_SIGNING_KEY);
  }

  /** Each private key is loaded and wiped at once; nothing is returned. */
  async check(): Promise<void> {
    wipe(await this.required(DEVICE_HPKE_KEY, X25519_KEY_BYTES));
    wipe(await this.required(DEVICE_SIGNING_KEY, ED25519_SEED_BYTES));
  }

  async sign(keyId: string, method: string, path: string, body: Uint8Array): Promise<SignedHeaders> {
    const seed = await this.required(DEVICE_SIGNING_KEY, ED25519_SEED_BYTES);
    try {
      return await signRequestWith(keyId, async (text) => ed25519Sign(seed, text), method, path, body);
    } finally {
      wipe(seed);
    }
  }

  /** The raw X25519 key is wiped as soon as it is imported (non-extractable). */
  async openEnvelope(
    envelope: unknown,
    o: { readonly expectedDeviceId: string; readonly expectedSessionId: string },
  ): Promise<Uint8Array> {
    const raw = await this.required(DEVICE_HPKE_KEY, X25519_KEY_BYTES);
    let recipientKey: CryptoKeyPair;
    try {
      recipientKey = await importPrivateKey(raw);
    } finally {
      wipe(raw);
    }
    return openEnvelope(envelope, { recipientKey, ...o });
  }

  private async required(name: string, length: number): Promise<Uint8Array> {
    const key = await this.store.get(name);
    if (key === null) throw new ViworksError('VIW_E_KEYSTORE', { details: [`${name}: missing`] });
    if (key.length !== length) {
      wipe(key);
      throw new ViworksError('VIW_E_KEYSTORE', { details: [`${name}: wrong length`] });
    }
    return key;
  }
}
