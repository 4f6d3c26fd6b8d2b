// ECDSA P-256 keys through WebCrypto (what @peculiar/x509 signs with), exported as PKCS#8 PEM for
// storage and for node:tls.
import { createPrivateKey, webcrypto } from 'node:crypto';

export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** SubjectPublicKeyInfo DER of a Node WebCrypto public key. */
export async function spkiOf(publicKey: CryptoKey): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.exportKey('spki', publicKey as webcrypto.CryptoKey));
}

export async function generateEcKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  const pem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  der.fill(0);
  return pem;
}

/** Imports a PKCS#8 PEM private key and derives its public key, as a WebCrypto key pair. */
export async function keyPairFromPem(pem: string | Buffer): Promise<CryptoKeyPair> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const { d: _d, ...publicJwk } = keyObject.export({ format: 'jwk' });
  try {
    const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC_ALG, true, ['sign']);
    const publicKey = await webcrypto.subtle.importKey('jwk', publicJwk, EC_ALG, true, ['verify']);
    return { privateKey, publicKey } as unknown as CryptoKeyPair;
  } finally {
    der.fill(0);
  }
}
