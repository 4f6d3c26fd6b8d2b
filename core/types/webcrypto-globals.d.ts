// Libraries built for browsers and Node alike (@peculiar/x509, hpke-js) name WebCrypto's global
// types. Our lib is ES2023 without DOM (DOM globals would hide mistakes in server code), so the
// WebCrypto types are taken from Node's own definitions instead.
import type { webcrypto } from 'node:crypto';

declare global {
  type CryptoKey = webcrypto.CryptoKey;
  type CryptoKeyPair = webcrypto.CryptoKeyPair;
  type Crypto = webcrypto.Crypto;
}
