// What a desktop device's key type (core/api/device.ts) means for the two keys: their raw encoding,
// the HPKE suite its bootstraps are sealed in, the algorithm its requests are signed with. The one
// table both sides read, so that a device is never sealed to or verified in another suite.
import { createPublicKey } from 'node:crypto';
import { decodeKey32, decodeP256Point } from '../api/common.js';
import type { DeviceKeyType } from '../api/device.js';
import { ENVELOPE_SUITE, ENVELOPE_SUITE_P256, type EnvelopeSuite } from './envelope-format.js';
import type { SignatureAlg } from './request-signing.js';

export interface KeyTypeSpec {
  readonly suite: EnvelopeSuite;
  readonly signatureAlg: SignatureAlg;
  /** Raw length of each public key: 32 (X25519, Ed25519) or 65 (uncompressed P-256). */
  readonly publicKeyBytes: number;
}

export const KEY_TYPES: Readonly<Record<DeviceKeyType, KeyTypeSpec>> = {
  x25519_ed25519: { suite: ENVELOPE_SUITE, signatureAlg: 'ed25519', publicKeyBytes: 32 },
  p256: { suite: ENVELOPE_SUITE_P256, signatureAlg: 'ecdsa-p256-sha256', publicKeyBytes: 65 },
};

/**
 * Decodes a stored or received device public key (unpadded base64url) of `keyType`: null unless it
 * is the canonical encoding of a key of that type — for P-256, a point on the curve.
 */
export function decodeDevicePublicKey(text: string, keyType: DeviceKeyType): Uint8Array | null {
  if (keyType === 'x25519_ed25519') return decodeKey32(text);
  const point = decodeP256Point(text);
  if (!point) return null;
  const b = Buffer.from(point.buffer, point.byteOffset, point.byteLength);
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: b.subarray(1, 33).toString('base64url'),
        y: b.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    return point;
  } catch {
    return null;
  }
}
