// For the TPM tests (keystore/tpm2/tpm2-store.test.ts, daemon-tpm2.test.ts): the proof that no file
// holds a device private key is an exhaustive search for the raw P-256 scalar, whatever encoding
// surrounds it (PKCS#8, bare, inside a larger blob).
import { createECDH } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A TPM operation works in a directory of its own (`tpm2/.op-*`) that exists only while it runs; a
 * running daemon may start or end one while we search (a signature for a heartbeat or a report).
 * What vanished between listing and reading holds nothing any more: it is skipped, not an error.
 */
const vanished = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Every regular file under `dir`, recursively (sockets and other special files left out). */
export function filesUnder(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (vanished(err)) return [];
    throw err;
  }
  return entries.flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

function readIfStill(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (err) {
    if (vanished(err)) return null;
    throw err;
  }
}

/** A file position where some 32 bytes are the P-256 private key of one of `points`, or null. */
export function privateKeyIn(files: readonly string[], points: readonly Uint8Array[]): string | null {
  const wanted = new Set(points.map((p) => Buffer.from(p).toString('hex')));
  const ecdh = createECDH('prime256v1');
  for (const f of files) {
    const b = readIfStill(f);
    if (!b) continue;
    for (let i = 0; i + 32 <= b.length; i++) {
      try {
        ecdh.setPrivateKey(b.subarray(i, i + 32));
      } catch {
        continue; // zero or ≥ n: not a scalar
      }
      if (wanted.has(ecdh.getPublicKey('hex', 'uncompressed'))) return `${f} @ ${i}`;
    }
  }
  return null;
}
