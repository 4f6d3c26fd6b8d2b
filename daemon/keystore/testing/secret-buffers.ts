// For tests: which buffers were made as secret buffers (core/crypto/bytes.ts secretBytes — their
// own ArrayBuffer off the JS heap, through the page locker the daemon plugs mlock into), and a
// store wrapper that keeps every buffer a SecretStore hands out or is given, to look at afterwards.
import { setSecretPageLocker } from '../../../core/crypto/bytes.js';
import type { SecretStore } from '../keystore.js';

/** Records every secret buffer made until `stop()`; the locker reports success. */
export function recordSecretBuffers(): { readonly made: Set<Uint8Array>; stop(): void } {
  const made = new Set<Uint8Array>();
  setSecretPageLocker((buf) => {
    made.add(buf);
    return true;
  });
  return { made, stop: () => setSecretPageLocker(null) };
}

/** A secret buffer: made by secretBytes and alone in its ArrayBuffer (nothing else to move or miss). */
export function isSecretBuffer(made: ReadonlySet<Uint8Array>, buf: Uint8Array): boolean {
  return made.has(buf) && buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength;
}

export const allZero = (buf: Uint8Array) => buf.every((b) => b === 0);

/** `inner`, keeping every buffer `get` returned and `put` was given. */
export class RecordingSecretStore implements SecretStore {
  readonly handedOut: Uint8Array[] = [];
  readonly given: Uint8Array[] = [];

  constructor(private readonly inner: SecretStore) {}

  get name(): string {
    return this.inner.name;
  }

  get protection() {
    return this.inner.protection;
  }

  async put(name: string, secret: Uint8Array): Promise<void> {
    this.given.push(secret);
    await this.inner.put(name, secret);
  }

  async get(name: string): Promise<Uint8Array | null> {
    const out = await this.inner.get(name);
    if (out) this.handedOut.push(out);
    return out;
  }

  delete(name: string): Promise<boolean> {
    return this.inner.delete(name);
  }
}
