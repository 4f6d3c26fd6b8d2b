// RFC 9180 §4 LabeledExtract and LabeledExpand over HKDF-SHA256, the KDF of both envelope suites,
// for the open path (hpke-open.ts). Why not @hpke/core's HkdfSha256: it concatenates the secret
// input into a "labeled" JavaScript copy, imports keys into WebCrypto objects that live until the
// garbage collector runs, and returns ArrayBuffers that nothing wipes. Here the labeled input is
// streamed piece by piece into node:crypto's HMAC (no concatenated copy of a secret), OpenSSL's HMAC
// context is freed and cleansed by digest(), and every output and intermediate block is kept in the
// caller's SecretScope, which wipes them when the operation ends.
import { createHmac } from 'node:crypto';
import { ViworksError } from '../errors/viworks-error.js';
import { secretBytes } from './bytes.js';
import type { SecretScope } from './secret-scope.js';

/** Nh of HKDF-SHA256. */
export const HKDF_SHA256_BYTES = 32;
const HPKE_V1 = Buffer.from('HPKE-v1', 'ascii');
const MAX_EXPAND_BYTES = 255 * HKDF_SHA256_BYTES;

/**
 * LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
 * An empty salt is HKDF's default (HMAC pads a short key with zeros, so "" and Nh zeros agree).
 * The 32-byte result is kept in `scope` under `label`.
 */
export function labeledExtract(
  scope: SecretScope,
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: string,
  ikm: Uint8Array,
): Buffer {
  const prk = createHmac('sha256', salt)
    .update(HPKE_V1)
    .update(suiteId)
    .update(Buffer.from(label, 'ascii'))
    .update(ikm)
    .digest();
  return scope.keep(label, prk);
}

/**
 * LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖
 * info, L). The result is a secretBytes buffer of its own (an ArrayBuffer nothing else shares), kept
 * in `scope` under `label`; each HMAC block T(i) is kept too.
 */
export function labeledExpand(
  scope: SecretScope,
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > MAX_EXPAND_BYTES) {
    throw new ViworksError('VIW_E_INTERNAL', { details: ['hpke: expand length out of range'] });
  }
  const lengthPrefix = Buffer.alloc(2);
  lengthPrefix.writeUInt16BE(length);
  const labelBytes = Buffer.from(label, 'ascii');
  const out = secretBytes(length);
  try {
    let previous: Uint8Array = new Uint8Array(0);
    for (let i = 1, at = 0; at < length; i++) {
      const block = createHmac('sha256', prk)
        .update(previous)
        .update(lengthPrefix)
        .update(HPKE_V1)
        .update(suiteId)
        .update(labelBytes)
        .update(info)
        .update(Uint8Array.of(i))
        .digest();
      scope.keep(`${label}/T${i}`, block);
      at += block.copy(out, at, 0, Math.min(block.length, length - at));
      previous = block;
    }
  } catch (err) {
    out.fill(0);
    throw err;
  }
  return scope.keep(label, out);
}
