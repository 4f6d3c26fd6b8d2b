// The token's WebCrypto as @peculiar/x509 and the audit signer use it. Calls that involve a token
// key wait their turn on the TokenLock (one session, one operation at a time). Public keys handed
// out by the Hsm are Node's, so exporting, importing or verifying with them, and digests, go to
// Node's WebCrypto; random numbers come from Node's CSPRNG rather than a round trip to the token.
import { webcrypto } from 'node:crypto';
import { type Crypto as P11Crypto, CryptoKey as P11CryptoKey } from 'node-webcrypto-p11';
import type { TokenLock } from './token-lock.js';

type AnyMethod = (...args: unknown[]) => unknown;

const NODE_WHEN_NO_TOKEN_KEY = new Set<PropertyKey>(['exportKey', 'importKey', 'verify', 'digest']);

export function serializedCrypto(inner: P11Crypto, lock: TokenLock): Crypto {
  const nodeSubtle = webcrypto.subtle as unknown as Record<PropertyKey, unknown>;
  const subtle = new Proxy(inner.subtle, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (NODE_WHEN_NO_TOKEN_KEY.has(prop) && !args.some((a) => a instanceof P11CryptoKey)) {
          return (nodeSubtle[prop] as AnyMethod).apply(webcrypto.subtle, args);
        }
        return lock.run(() => (value as AnyMethod).apply(target, args));
      };
    },
  });
  const getRandomValues = webcrypto.getRandomValues.bind(webcrypto);
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'subtle') return subtle;
      if (prop === 'getRandomValues') return getRandomValues;
      return Reflect.get(target, prop);
    },
  }) as unknown as Crypto;
}
