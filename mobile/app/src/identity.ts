// This phone's identity, kept in the browser's IndexedDB: the request-signing key (a WebCrypto
// CryptoKey stored as an object — its private half is not extractable, so neither this page nor
// anything injected into it can read it out), the ids the backend gave at binding, and the WebAuthn
// credential id. No code, password or token is ever stored.
import {
  generateWebSigningKey,
  toBase64Url,
  webPhoneFingerprint,
} from '../../../core/crypto/web-request-signing.js';

export interface PhoneKey {
  readonly privateKey: CryptoKey;
  /** base64url of the raw 32-byte Ed25519 public key (the wire's Key32). */
  readonly publicKey: string;
  /** SHA-256 hex of the raw public key: the key id of the bind requests. */
  readonly fingerprint: string;
}

export interface BoundPhone extends PhoneKey {
  readonly version: 1;
  readonly mobileDeviceId: string;
  readonly credentialId: string;
  readonly userName: string;
  readonly boundAt: string;
}

const DB = 'viworks-phone';
const STORE = 'identity';
const KEY = 'self';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run<T>(mode: IDBTransactionMode, act: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = act(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

export async function newPhoneKey(): Promise<PhoneKey> {
  const k = await generateWebSigningKey();
  return {
    privateKey: k.privateKey,
    publicKey: toBase64Url(k.publicKey),
    fingerprint: await webPhoneFingerprint(k.publicKey),
  };
}

export async function loadBoundPhone(): Promise<BoundPhone | null> {
  const v = (await run('readonly', (s) => s.get(KEY))) as BoundPhone | undefined;
  return v?.version === 1 && v.privateKey instanceof CryptoKey ? v : null;
}

export async function saveBoundPhone(phone: BoundPhone): Promise<void> {
  await run('readwrite', (s) => s.put(phone, KEY));
}

/** Forgets this phone here (the backend's record stays until an administrator unbinds it). */
export async function forgetBoundPhone(): Promise<void> {
  await run('readwrite', (s) => s.delete(KEY));
}
