// A node service's config rendered by apply_config (the normalizer's, the front door's) is read back
// with the same distrust as gw.json: a regular file owned by root, not group- or world-writable, small,
// parsed as JSON — all checked on the opened descriptor, so the file checked is the file read. The
// caller validates the document against its closed schema.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { ViworksError } from '../../core/errors/viworks-error.js';

const refuse = (what: string, why: string, cause?: unknown) =>
  new ViworksError('VIW_E_CONFIG', { details: [`${what} ${why}`], ...(cause ? { cause } : {}) });

/** The parsed JSON document at `path`; VIW_E_CONFIG naming `what` when any check fails. */
export function readRootOwnedJson(path: string, what: string, maxBytes: number): unknown {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw refuse(what, 'cannot be opened', err);
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(what, 'is not a regular file');
    if (st.uid !== 0) throw refuse(what, 'is not owned by root');
    if ((st.mode & 0o022) !== 0) throw refuse(what, 'is group- or world-writable');
    if (st.size > maxBytes) throw refuse(what, 'is too large');
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw refuse(what, 'is not valid JSON');
  }
}
