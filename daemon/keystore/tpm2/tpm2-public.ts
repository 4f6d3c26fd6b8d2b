// The few TPM 2.0 structures the TPM key store reads and writes, marshalled by hand (TPM 2.0 Part 2,
// big-endian): TPM2B_PUBLIC of an ECC key (what tpm2_create writes with -u), TPM2B_ECC_POINT (the
// input and output of tpm2_ecdhzgen), and the DER ECDSA signature tpm2_sign writes with -f plain.
// Pure functions: the store checks what the TPM made against what it asked for with them.
import { keystoreError } from '../keystore.js';

export const TPM_ALG = {
  ecc: 0x0023,
  sha256: 0x000b,
  null: 0x0010,
  ecdsa: 0x0018,
  ecdh: 0x0019,
} as const;
export const TPM_ECC_NIST_P256 = 0x0003;

/** TPMA_OBJECT bits (Part 2, 8.3). */
export const TPMA = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/** What the store asks for: never leaves this TPM, made inside it, used with its auth value, no DA lockout. */
export const DEVICE_KEY_ATTRIBUTES =
  TPMA.fixedTPM | TPMA.fixedParent | TPMA.sensitiveDataOrigin | TPMA.userWithAuth | TPMA.noDA;
export const SIGNING_KEY_ATTRIBUTES = DEVICE_KEY_ATTRIBUTES | TPMA.sign;
export const ECDH_KEY_ATTRIBUTES = DEVICE_KEY_ATTRIBUTES | TPMA.decrypt;

export interface EccPublic {
  readonly nameAlg: number;
  readonly attributes: number;
  readonly authPolicyBytes: number;
  readonly symmetric: number;
  readonly scheme: number;
  readonly schemeHash: number | null;
  readonly curve: number;
  readonly kdf: number;
  /** 0x04 ‖ x ‖ y, coordinates left-padded to 32 bytes. */
  readonly point: Uint8Array;
}

class Reader {
  at = 0;
  constructor(private readonly b: Uint8Array) {}
  u16(): number {
    if (this.at + 2 > this.b.length) throw keystoreError('tpm2: public area truncated');
    const v = (this.b[this.at]! << 8) | this.b[this.at + 1]!;
    this.at += 2;
    return v;
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  bytes(n: number): Uint8Array {
    if (this.at + n > this.b.length) throw keystoreError('tpm2: public area truncated');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  sized(): Uint8Array {
    return this.bytes(this.u16());
  }
}

function coordinate(c: Uint8Array): Uint8Array {
  if (c.length === 0 || c.length > 32) throw keystoreError('tpm2: ECC coordinate has the wrong size');
  const out = new Uint8Array(32);
  out.set(c, 32 - c.length);
  return out;
}

/** Parses a TPM2B_PUBLIC holding an ECC key; refuses anything else or trailing bytes. */
export function parseEccPublic(tpm2b: Uint8Array): EccPublic {
  const r = new Reader(tpm2b);
  const size = r.u16();
  if (size !== tpm2b.length - 2) throw keystoreError('tpm2: public area size mismatch');
  if (r.u16() !== TPM_ALG.ecc) throw keystoreError('tpm2: not an ECC key');
  const nameAlg = r.u16();
  const attributes = r.u32();
  const authPolicyBytes = r.sized().length;
  const symmetric = r.u16();
  if (symmetric !== TPM_ALG.null) r.bytes(4); // keyBits, mode
  const scheme = r.u16();
  const schemeHash = scheme === TPM_ALG.null ? null : r.u16();
  const curve = r.u16();
  const kdf = r.u16();
  if (kdf !== TPM_ALG.null) r.u16();
  const x = coordinate(r.sized());
  const y = coordinate(r.sized());
  if (r.at !== tpm2b.length) throw keystoreError('tpm2: trailing bytes after the public area');
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(x, 1);
  point.set(y, 33);
  return { nameAlg, attributes, authPolicyBytes, symmetric, scheme, schemeHash, curve, kdf, point };
}

/**
 * Refuses a public area that is not exactly the key the store asked for: P-256, SHA-256 name, no
 * policy, the given attributes (so fixedTPM | fixedParent | sensitiveDataOrigin are proven by the
 * TPM's own description of the key) and scheme.
 */
export function checkDeviceKeyPublic(p: EccPublic, want: { attributes: number; scheme: number }): void {
  const problems: string[] = [];
  if (p.curve !== TPM_ECC_NIST_P256) problems.push('curve');
  if (p.nameAlg !== TPM_ALG.sha256) problems.push('name algorithm');
  if (p.authPolicyBytes !== 0) problems.push('auth policy');
  if (p.attributes !== want.attributes) problems.push('attributes');
  if (p.scheme !== want.scheme || p.schemeHash !== TPM_ALG.sha256) problems.push('scheme');
  if (p.symmetric !== TPM_ALG.null || p.kdf !== TPM_ALG.null) problems.push('symmetric/kdf');
  if (problems.length > 0) throw keystoreError(`tpm2: key is not as created (${problems.join(', ')})`);
}

/** TPM2B_ECC_POINT of an uncompressed point (tpm2_ecdhzgen's -u input). */
export function eccPointTpm2b(point: Uint8Array): Uint8Array {
  if (point.length !== 65 || point[0] !== 0x04) throw keystoreError('tpm2: not an uncompressed point');
  const out = new Uint8Array(2 + 2 + 32 + 2 + 32);
  const v = new DataView(out.buffer);
  v.setUint16(0, 68);
  v.setUint16(2, 32);
  out.set(point.subarray(1, 33), 4);
  v.setUint16(36, 32);
  out.set(point.subarray(33, 65), 38);
  return out;
}

/** The x-coordinate (32 bytes, a fresh buffer) of a TPM2B_ECC_POINT: the ECDH shared value Z. */
export function eccPointX(tpm2b: Uint8Array): Uint8Array {
  const r = new Reader(tpm2b);
  const size = r.u16();
  if (size !== tpm2b.length - 2) throw keystoreError('tpm2: ECDH output size mismatch');
  const x = coordinate(r.sized());
  r.sized();
  if (r.at !== tpm2b.length) throw keystoreError('tpm2: trailing bytes after the ECDH output');
  return x;
}

/** DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) → r ‖ s, 32 bytes each. Strict DER only. */
export function ecdsaDerToRaw(der: Uint8Array): Uint8Array {
  const fail = () => keystoreError('tpm2: signature is not a DER ECDSA signature');
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1]! > 0x7f) throw fail();
  const out = new Uint8Array(64);
  let at = 2;
  for (const offset of [0, 32]) {
    if (der[at] !== 0x02) throw fail();
    const len = der[at + 1]!;
    const start = at + 2;
    if (len < 1 || len > 33 || start + len > der.length) throw fail();
    let v = der.subarray(start, start + len);
    if (v[0]! & 0x80) throw fail(); // negative
    if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) throw fail(); // not minimal
    if (v[0] === 0 && v.length > 1) v = v.subarray(1);
    if (v.length > 32) throw fail();
    out.set(v, offset + 32 - v.length);
    at = start + len;
  }
  if (at !== der.length) throw fail();
  return out;
}
