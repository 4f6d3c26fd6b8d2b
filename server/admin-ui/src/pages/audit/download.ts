// Saves the bytes of an open export stream as a file: read whole, wrapped in a Blob, offered through
// an <a download> on an object URL. A `blob:` link is a navigation, not a fetch, so the panel's CSP
// (connect-src 'self', no navigate-to) does not stand in the way.
import type { OpenStream } from '../../../../../core/backendclient/transport.js';

export async function bytesOf(stream: OpenStream): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of stream.chunks) parts.push(chunk);
  } finally {
    stream.close();
  }
  return parts;
}

// A Blob takes only bytes over a plain ArrayBuffer; a chunk's type allows a shared one.
function copyOf(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(chunk);
}

export function saveBlob(parts: readonly Uint8Array[], type: string, filename: string): void {
  const url = URL.createObjectURL(new Blob(parts.map(copyOf), { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download; the URL may go once this task is over.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** `audit-20261204T182501Z.ndjson`: a name that sorts by when it was taken. */
export function exportFileName(format: 'ndjson' | 'csv', now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `audit-${stamp}.${format}`;
}
