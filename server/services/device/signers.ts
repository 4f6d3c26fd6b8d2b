// Who may sign a request: key lookups for verifySignedRequest (server/http/signed-request.ts).
// Devices are looked up whatever their status so that the signature is checked first; only a
// holder of the device key then learns that the device is pending or revoked. A desktop's key and
// algorithm come from its row's key type (Ed25519, or ECDSA P-256 for a TPM device), never from the
// request.
import { decodeKey32 } from '../../../core/api/common.js';
import { decodeDevicePublicKey, KEY_TYPES } from '../../../core/crypto/device-key-type.js';
import type { SignatureAlg } from '../../../core/crypto/request-signing.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db, DesktopDevice, MobileDevice } from '../../data/client.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Signer<T> {
  readonly publicKey: Uint8Array;
  readonly alg?: SignatureAlg;
  readonly row: T;
}

export function desktopSigner({ db }: { readonly db: Db }) {
  return async (keyId: string): Promise<Signer<DesktopDevice> | null> => {
    if (!UUID_RE.test(keyId)) return null;
    const row = await db.desktopDevice.findUnique({ where: { id: keyId } });
    const publicKey = row ? decodeDevicePublicKey(row.signingPublicKey, row.keyType) : null;
    return row && publicKey ? { publicKey, alg: KEY_TYPES[row.keyType].signatureAlg, row } : null;
  };
}

export function phoneSigner({ db }: { readonly db: Db }) {
  return async (keyId: string): Promise<Signer<MobileDevice> | null> => {
    if (!UUID_RE.test(keyId)) return null;
    const row = await db.mobileDevice.findUnique({ where: { id: keyId } });
    const publicKey = row ? decodeKey32(row.publicKey) : null;
    return row && publicKey ? { publicKey, row } : null;
  };
}

/** After the signature verified: only an active device may act. */
export function assertActive(row: { status: string }): void {
  if (row.status === 'pending_approval') throw new ViworksError('VIW_E_DEVICE_PENDING');
  if (row.status !== 'active') throw new ViworksError('VIW_E_DEVICE_REVOKED');
}
