// The device keys of a software SecretStore (OS keyring, kernel keyring, encrypted file): X25519 for
// the sealed bootstrap, Ed25519 for request signing, kept as two named 32-byte secrets. Each use
// loads the key from the store, uses it, and wipes every buffer that held it. Software protection:
// the keys exist in this process's memory while in use (key type `x25519_ed25519`).
import nacl from 'tweetnacl';
import { wipe } from '../../core/crypto/bytes.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair, importPrivateKey } from '../../core/crypto/hpke.js';
import {
  generateSigningKeyPair,
  type SignedHeaders,
  signRequest,
} from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
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
    const hpke = await generateDeviceKeyPair();
    const signing = generateSigningKeyPair();
    // tweetnacl's secret key is seed ‖ public key: only the 32-byte seed is stored.
    const seed = signing.secretKey.slice(0, 32);
    try {
      await this.store.put(DEVICE_HPKE_KEY, hpke.privateKey);
      await this.store.put(DEVICE_SIGNING_KEY, seed);
    } finally {
      wipe(hpke.privateKey, signing.secretKey, seed);
    }
    return {
      keyType: this.keyType,
      hpkePublicKey: hpke.publicKey,
      signingPublicKey: signing.publicKey,
      fingerprint: deviceFingerprint(hpke.publicKey, signing.publicKey),
    };
  }

  async delete(): Promise<void> {
    await this.store.delete(DEVICE_HPKE_KEY);
    await this.store.delete(DEVICE_SIGNING_KEY);
  }

  /** Each private key is loaded and wiped at once; nothing is returned. */
  async check(): Promise<void> {
    wipe(await this.required(DEVICE_HPKE_KEY, 32));
    wipe(await this.required(DEVICE_SIGNING_KEY, 32));
  }

  async sign(keyId: string, method: string, path: string, body: Uint8Array): Promise<SignedHeaders> {
    const seed = await this.required(DEVICE_SIGNING_KEY, 32);
    const pair = nacl.sign.keyPair.fromSeed(seed);
    try {
      return signRequest(keyId, pair.secretKey, method, path, body);
    } finally {
      wipe(seed, pair.secretKey);
    }
  }

  /** The raw X25519 key is wiped as soon as it is imported (non-extractable). */
  async openEnvelope(
    envelope: unknown,
    o: { readonly expectedDeviceId: string; readonly expectedSessionId: string },
  ): Promise<Uint8Array> {
    const raw = await this.required(DEVICE_HPKE_KEY, 32);
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
