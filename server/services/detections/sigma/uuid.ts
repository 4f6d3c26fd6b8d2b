// Name-based UUIDs (RFC 9562 version 5): a Sigma rule's id is derived from the rule's id and the
// document's name, so it is globally unique yet the same in every generation (no registry of ids to
// keep, and a renamed rule visibly gets a new id).
import { createHash } from 'node:crypto';

/** The ViWorkS Sigma namespace (a random UUID, fixed once). */
export const SIGMA_NAMESPACE = '6f1d2c84-3b5e-4c1a-9d7e-2a8f0b4c6e91';

export function uuidV5(name: string, namespace = SIGMA_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
