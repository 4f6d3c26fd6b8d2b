// Request signing in a browser (the phone app): the same signed text as the Node signer
// (signing-text.ts), with WebCrypto's Ed25519 and a private key that is not extractable — a script
// running in the page can ask for a signature while the page is open, but can never read the key.
import { SIG_HEADERS, type SignedHeaders, signingText } from './signing-text.js';

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export const toBase64 = (bytes: Uint8Array | ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)));

export const toBase64Url = (bytes: Uint8Array | ArrayBuffer) =>
  toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A new phone key: Ed25519, private half not extractable; the raw public key (32 bytes). */
export async function generateWebSigningKey(): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: raw };
}

/** SHA-256 (lower-case hex) of the raw public key: the phone fingerprint (core/crypto/fingerprints.ts). */
export async function webPhoneFingerprint(publicKey: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new Uint8Array(publicKey)));
}

/** Headers for `method path body`, signed by `privateKey` under `keyId`. */
export async function signRequestWeb(
  keyId: string,
  privateKey: CryptoKey,
  method: string,
  path: string,
  body: Uint8Array,
  now: number = Date.now(),
): Promise<SignedHeaders> {
  const timestamp = String(now);
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const text = signingText(
    method,
    path,
    timestamp,
    nonce,
    hex(await crypto.subtle.digest('SHA-256', new Uint8Array(body))),
  );
  const signature = await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, text);
  return {
    [SIG_HEADERS.keyId]: keyId,
    [SIG_HEADERS.timestamp]: timestamp,
    [SIG_HEADERS.nonce]: nonce,
    [SIG_HEADERS.signature]: toBase64(signature),
  };
}
