// The secret intermediates of one operation (for an HPKE open: the DH output, the KEM shared secret,
// the key schedule's secret, the AEAD key and base nonce, every HMAC output in between), kept in one
// list so that a single wipe() in the operation's `finally` reaches all of them, on success and on
// every failure path. A buffer is kept the moment it holds its value.
import { wipe } from './bytes.js';

/** Sees each kept buffer while it still holds its value; tests use it to check that the wipe happens. */
export type SecretObserver = (name: string, bytes: Uint8Array) => void;

export class SecretScope {
  private readonly held: Uint8Array[] = [];

  constructor(private readonly observe?: SecretObserver) {}

  /** Registers `bytes` (already filled) to be wiped with the scope; returns it. */
  keep<T extends Uint8Array>(name: string, bytes: T): T {
    this.held.push(bytes);
    this.observe?.(name, bytes);
    return bytes;
  }

  /** Zeroes every kept buffer. */
  wipe(): void {
    wipe(...this.held);
    this.held.length = 0;
  }
}
