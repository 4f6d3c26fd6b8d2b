// The token's user PIN, read from the file `hsm.pinFile` names (never from the environment or argv).
// The bytes come back in a Buffer the caller wipes (fill(0)) as soon as the login is done.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ViworksError } from '../../../core/errors/viworks-error.js';

/** PKCS#11 PINs are short; anything larger is not a PIN file. */
const MAX_PIN_FILE_BYTES = 1024;

const refuse = (detail: string) => new ViworksError('VIW_E_CONFIG', { details: [`hsm.pinFile: ${detail}`] });

/** Reads the PIN (one trailing newline dropped). Refuses files other users may read or write. */
export function readPinFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw refuse(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const raw = Buffer.alloc(MAX_PIN_FILE_BYTES + 1);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(`${path} is not a regular file`);
    if (st.mode & 0o007) {
      throw refuse(`${path} is open to other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    let length = 0;
    while (length < raw.length) {
      const n = readSync(fd, raw, length, raw.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_PIN_FILE_BYTES) throw refuse(`${path} is larger than ${MAX_PIN_FILE_BYTES} bytes`);
    let end = length;
    if (end > 0 && raw[end - 1] === 0x0a) end--;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    if (end === 0) throw refuse(`${path} is empty`);
    const pin = Buffer.alloc(end);
    raw.copy(pin, 0, 0, end);
    return pin;
  } finally {
    raw.fill(0);
    closeSync(fd);
  }
}
