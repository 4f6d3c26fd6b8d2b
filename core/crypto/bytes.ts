import { timingSafeEqual } from 'node:crypto';

/** Constant-time equality for secrets. Different lengths compare unequal without an early exit on content. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still spend the comparison so that length is the only thing a timing observer learns.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * A zeroed buffer for key material whose bytes never move. It views an ArrayBuffer of its own, whose
 * backing store lives outside the JavaScript heap: V8 keeps small typed arrays (Buffer.alloc of up
 * to 64 bytes, e.g. a 32-byte key) INSIDE the heap, where the garbage collector copies live objects
 * and leaves the old bytes behind — a wipe then zeroes the new copy only. Off the heap, fill(0)
 * reaches the only copy.
 */
export function secretBytes(length: number): Buffer {
  const out = Buffer.from(new ArrayBuffer(length));
  if (pageLocker && !pageLocker(out)) pageLockFailures++;
  return out;
}

/** Locks the pages of one buffer in RAM (mlock(2)); false when the kernel refused. */
export type PageLocker = (buf: Uint8Array) => boolean;
let pageLocker: PageLocker | null = null;
let pageLockFailures = 0;

/**
 * The daemon plugs in mlock(2) (daemon/hardening): every secretBytes buffer is then kept out of swap.
 * Locking the whole process is impossible under V8 (docs/cli.md#process-hardening); locking the
 * pages that hold key material is not. The pages stay locked (a page may also hold other data).
 */
export function setSecretPageLocker(locker: PageLocker | null): void {
  pageLocker = locker;
}

/** How many secret buffers the kernel refused to lock since start (the daemon logs it). */
export function secretPageLockFailures(): number {
  return pageLockFailures;
}

/** A secretBytes copy of `src` (the caller wipes both when done). */
export function secretCopy(src: Uint8Array): Buffer {
  const out = secretBytes(src.byteLength);
  out.set(src);
  return out;
}

/** Overwrites buffers that held key material or plaintext secrets. */
export function wipe(...buffers: ReadonlyArray<Uint8Array | undefined | null>): void {
  for (const b of buffers) b?.fill(0);
}

/** Standard base64 without `=` padding (the fwknop and pin convention). */
export function b64NoPad(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard-alphabet base64 decoder; accepts padded or unpadded input, rejects anything else. */
export function b64Decode(text: string): Buffer {
  if (!B64_RE.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError('not standard base64');
  }
  return Buffer.from(text, 'base64');
}

export function hexDecode(text: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new TypeError('not hex');
  return Buffer.from(text, 'hex');
}
