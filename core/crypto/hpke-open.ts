// Single-shot HPKE open, base mode (RFC 9180 §4.1 Decap, §5.1 KeySchedule, §6.1 Open), for the two
// envelope suites: DHKEM(X25519 or P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. The daemon
// opens every sealed bootstrap here (hpke.ts for X25519 keys, hpke-p256.ts for TPM and software
// P-256 keys); sealing (the backend) stays with @hpke/core.
//
// Why our own key schedule rather than @hpke/core's recipient context: the library keeps the KEM
// shared secret, the AEAD key (Chacha20Poly1305Context._key), the base nonce and the exporter secret
// in objects and ArrayBuffers that it never wipes, and with the envelope still in memory those open
// the bootstrap long after a disconnect. Here every secret intermediate is kept in one SecretScope
// and wiped before open returns or throws:
//   - DH(skR, pkE): WebCrypto's deriveBits with length null (Node returns the derived buffer itself;
//     a bit length makes it slice a copy and drop the original unwiped), or the key holder's output;
//   - eae_prk, shared_secret, secret, key, base_nonce and each HMAC block (hpke-kdf.ts);
//   - the exporter secret is never derived: a single-shot open has no use for it.
// The AEAD is chacha20-poly1305-open.ts: OpenSSL does the work, and nothing secret is left in the
// buffers Node frees on the way (see there why neither a plain decipher nor the library's AEAD is).
import { ViworksError } from '../errors/viworks-error.js';
import { chacha20Poly1305Open } from './chacha20-poly1305-open.js';
import { labeledExpand, labeledExtract } from './hpke-kdf.js';
import { type SecretObserver, SecretScope } from './secret-scope.js';

export const HPKE_KDF_ID = 0x0001;
export const HPKE_AEAD_ID = 0x0003;
/** DHKEM(X25519, HKDF-SHA256) and DHKEM(P-256, HKDF-SHA256). */
export type HpkeKemId = 0x0020 | 0x0010;

/** Ndh and Nsecret of both KEMs: an X25519 output, or the x-coordinate of a P-256 point. */
const DH_BYTES = 32;
const CHACHA20POLY1305_KEY_BYTES = 32;
const CHACHA20POLY1305_NONCE_BYTES = 12;
const MODE_BASE = 0x00;
const EMPTY = new Uint8Array(0);

/** The recipient side of a DHKEM: its serialized public key and its one private-key step. */
export interface DhkemRecipient {
  readonly kemId: HpkeKemId;
  /** pkRm, serialized as the KEM does (part of the KEM context). */
  readonly publicKey: Uint8Array;
  /**
   * DH(skR, pkE) for this `enc`, after validating it. The returned buffer becomes the open's: it is
   * wiped when the open ends. A ViworksError (e.g. the key holder is unreachable) passes through; any
   * other failure is a decap failure.
   */
  dh(enc: Uint8Array): Promise<Uint8Array>;
}

export interface HpkeCiphertext {
  readonly enc: Uint8Array;
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
  readonly ct: Uint8Array;
}

/**
 * The whole plaintext or VIW_E_SEAL_OPEN_FAILED (`hpke: DecapError` or `hpke: OpenError`). The
 * plaintext is a secretBytes buffer of its own, the caller's to wipe. `observe` is for tests.
 */
export async function hpkeOpenBase(
  recipient: DhkemRecipient,
  c: HpkeCiphertext,
  observe?: SecretObserver,
): Promise<Uint8Array> {
  const scope = new SecretScope(observe);
  try {
    const dh = scope.keep('dh', await decap(recipient, c.enc));
    if (dh.byteLength !== DH_BYTES) throw openFailure('DecapError');
    const sharedSecret = dhkemSharedSecret(scope, recipient.kemId, dh, c.enc, recipient.publicKey);
    const { key, baseNonce } = keyScheduleBase(scope, recipient.kemId, sharedSecret, c.info);
    // Sequence number 0: the nonce is the base nonce itself (base_nonce XOR I2OSP(0, Nn)).
    const pt = chacha20Poly1305Open(key, baseNonce, c.aad, c.ct);
    if (pt === null) throw openFailure('OpenError');
    return pt;
  } finally {
    scope.wipe();
  }
}

async function decap(recipient: DhkemRecipient, enc: Uint8Array): Promise<Uint8Array> {
  try {
    return await recipient.dh(enc);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw openFailure('DecapError');
  }
}

/** RFC 9180 §4.1: shared_secret = ExtractAndExpand(dh, kem_context = enc ‖ pkRm), kept in `scope`. */
export function dhkemSharedSecret(
  scope: SecretScope,
  kemId: HpkeKemId,
  dh: Uint8Array,
  enc: Uint8Array,
  pkRm: Uint8Array,
): Buffer {
  const suiteId = Buffer.from([0x4b, 0x45, 0x4d, kemId >> 8, kemId & 0xff]); // "KEM" ‖ I2OSP(kem_id, 2)
  const eaePrk = labeledExtract(scope, suiteId, EMPTY, 'eae_prk', dh);
  return labeledExpand(scope, suiteId, eaePrk, 'shared_secret', Buffer.concat([enc, pkRm]), DH_BYTES);
}

/**
 * RFC 9180 §5.1 KeySchedule in base mode (no PSK) for `kemId` with HKDF-SHA256 and
 * ChaCha20-Poly1305: the AEAD key and base nonce, kept in `scope` (secretBytes, off the JS heap).
 */
export function keyScheduleBase(
  scope: SecretScope,
  kemId: HpkeKemId,
  sharedSecret: Uint8Array,
  info: Uint8Array,
): { key: Buffer; baseNonce: Buffer } {
  // "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)
  const suiteId = Buffer.from([
    0x48,
    0x50,
    0x4b,
    0x45,
    kemId >> 8,
    kemId & 0xff,
    0,
    HPKE_KDF_ID,
    0,
    HPKE_AEAD_ID,
  ]);
  const pskIdHash = labeledExtract(scope, suiteId, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = labeledExtract(scope, suiteId, EMPTY, 'info_hash', info);
  const context = Buffer.concat([Uint8Array.of(MODE_BASE), pskIdHash, infoHash]);
  const secret = labeledExtract(scope, suiteId, sharedSecret, 'secret', EMPTY);
  return {
    key: labeledExpand(scope, suiteId, secret, 'key', context, CHACHA20POLY1305_KEY_BYTES),
    baseNonce: labeledExpand(scope, suiteId, secret, 'base_nonce', context, CHACHA20POLY1305_NONCE_BYTES),
  };
}

// Only the step goes into details (the names the @hpke/core errors had): it cannot carry key or
// plaintext bytes.
function openFailure(step: 'DecapError' | 'OpenError'): ViworksError {
  return new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: [`hpke: ${step}`] });
}
