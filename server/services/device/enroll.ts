// Desktop enrollment (core/api/device.ts). The device always belongs to the user named in the
// request, who must prove it with the password:
//   - token path: a valid fleet token (checked before the password, so someone without a token
//     learns nothing about passwords) + the password → the device row at once; the token's
//     auto_approve decides active vs pending_approval; a wrong password counts toward lockout;
//   - OTP path: password → a transaction (decoy when the user is unknown, locked or the password
//     wrong, exactly like login) → the code from the bound phone → the device row, pending
//     approval by an administrator.
// The request is signed by the new device's signing key (key id = fingerprint): Ed25519, or ECDSA
// P-256 for a `p256` (TPM) device; the keys are decoded for the request's key type, the fingerprint
// is recomputed here and a mismatch refused. `key_protection: tpm2` comes only with `key_type: p256`.

import type { DeviceKeyType } from '../../../core/api/device.js';
import { decodeDevicePublicKey, KEY_TYPES } from '../../../core/crypto/device-key-type.js';
import { deviceFingerprint } from '../../../core/crypto/fingerprints.js';
import type { SignatureAlg } from '../../../core/crypto/request-signing.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { Prisma } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import type { IdentityDeps } from '../auth/identity.js';
import { isLocked } from '../auth/lockout.js';
import { countFailure, refuseCode } from '../auth/login.js';
import type { PendingEnrollment } from '../auth/login-txns.js';
import { checkOtp } from '../auth/otp-check.js';
import { burnPasswordCheck, checkPassword } from '../auth/password-check.js';
import { consumeEnrollmentToken, enrollmentTokenHash, tokenState } from './enrollment-tokens.js';

export interface EnrollInput extends PendingEnrollment {
  readonly username: string;
  readonly password: string;
  readonly sourceIp: string;
}

export interface EnrolledRow {
  readonly id: string;
  readonly status: 'active' | 'pending_approval';
  readonly fingerprint: string;
}

/** Decodes both keys for their type and recomputes the fingerprint; returns the signing key and its algorithm. */
export function checkDeviceKeys(k: {
  hpkePublicKey: string;
  signingPublicKey: string;
  fingerprint: string;
  keyType?: DeviceKeyType | undefined;
}): { signingKey: Uint8Array; alg: SignatureAlg } {
  const keyType = k.keyType ?? 'x25519_ed25519';
  const hpke = decodeDevicePublicKey(k.hpkePublicKey, keyType);
  const signing = decodeDevicePublicKey(k.signingPublicKey, keyType);
  if (!hpke || !signing) {
    const what = keyType === 'p256' ? 'uncompressed P-256 points (65 bytes) on the curve' : '32 bytes';
    throw new ViworksError('VIW_E_VALIDATION', { details: [`public keys must be ${what}`] });
  }
  if (hpke.every((b) => b === 0) || Buffer.compare(hpke, signing) === 0) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['unusable public keys'] });
  }
  if (deviceFingerprint(hpke, signing) !== k.fingerprint) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['fingerprint does not match the public keys'] });
  }
  return { signingKey: signing, alg: KEY_TYPES[keyType].signatureAlg };
}

/**
 * The backend's `requireHardwareKey` setting: a device that says its keys are software-protected is
 * refused before anything else happens (no password check, no phone code). The claim is the
 * client's own (no TPM attestation yet), so this keeps honest software clients out; it does not
 * prove hardware.
 */
export function assertKeyProtectionAllowed(requireHardwareKey: boolean, keyProtection: string): void {
  if (requireHardwareKey && keyProtection === 'software') {
    throw new ViworksError('VIW_E_HARDWARE_KEY_REQUIRED', { details: [`key_protection: ${keyProtection}`] });
  }
}

/**
 * `key_protection: tpm2` only with the TPM's key type: a TPM 2.0 makes P-256 keys (it does neither
 * X25519 nor Ed25519), so a `tpm2` device with `x25519_ed25519` keys claims a protection its keys
 * cannot have. Refused before the token or the password is looked at.
 */
export function assertProtectionFitsKeyType(keyProtection: string, keyType: DeviceKeyType | undefined): void {
  const type = keyType ?? 'x25519_ed25519';
  if (keyProtection === 'tpm2' && type !== 'p256') {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: [`key_protection tpm2 requires key_type p256 (got ${type})`],
    });
  }
}

/**
 * A proposed device name as stored and shown: NFC, runs of spaces as one, trimmed, still at most 64
 * (the API's limit; NFC can lengthen a string); null if empty.
 */
export function proposedDeviceName(raw: string | undefined): string | null {
  const name = (raw ?? '')
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64)
    .replace(/[\uD800-\uDBFF]$/, '')
    .trim();
  return name === '' ? null : name;
}

export async function assertNewFingerprint(deps: IdentityDeps, fingerprint: string): Promise<void> {
  const existing = await deps.db.desktopDevice.findUnique({ where: { fingerprint }, select: { id: true } });
  if (existing) throw new ViworksError('VIW_E_DEVICE_EXISTS');
}

export async function enrollWithToken(
  deps: IdentityDeps,
  trail: AuditTrail,
  token: string,
  input: EnrollInput,
): Promise<EnrolledRow> {
  assertProtectionFitsKeyType(input.keyProtection, input.keyType);
  const now = deps.now();
  const row = await deps.db.enrollmentToken.findUnique({ where: { tokenHash: enrollmentTokenHash(token) } });
  if (!row || tokenState(row, now) !== 'valid') throw new ViworksError('VIW_E_ENROLL_TOKEN_INVALID');
  const user = await deps.db.user.findUnique({ where: { username: input.username } });
  trail.user(user?.auditId);
  if (!user || isLocked(user, now)) {
    trail.note(user ? 'account locked' : 'unknown user');
    await burnPasswordCheck(input.password);
    throw new ViworksError('VIW_E_AUTH_FAILED');
  }
  if (!(await checkPassword(user, input.password))) {
    trail.note('wrong password');
    await countFailure(deps, trail, user.id);
    throw new ViworksError('VIW_E_AUTH_FAILED');
  }
  const taken = await consumeEnrollmentToken(deps.db, token, now);
  if (!taken) throw new ViworksError('VIW_E_ENROLL_TOKEN_INVALID');
  trail.note(
    taken.autoApprove ? 'enrolled with token, auto-approved' : 'enrolled with token, pending approval',
  );
  return createDevice(deps, trail, user.id, input, taken.autoApprove, taken.id);
}

export async function startEnrollWithOtp(
  deps: IdentityDeps,
  trail: AuditTrail,
  input: EnrollInput,
): Promise<{ txnId: string; expiresAt: number }> {
  assertProtectionFitsKeyType(input.keyProtection, input.keyType);
  const { username: _u, password: _p, sourceIp, ...enrollment } = input;
  const txn = {
    purpose: 'enroll' as const,
    signerKeyId: input.fingerprint,
    deviceId: null,
    deviceName: input.name,
    devicePlatform: input.platform,
    sourceIp,
    enrollment,
  };
  const user = await deps.db.user.findUnique({ where: { username: input.username } });
  trail.user(user?.auditId);
  const usable = user && !isLocked(user, deps.now());
  const ok = usable ? await checkPassword(user, input.password) : await burnPasswordCheck(input.password);
  if (!user || !ok) {
    trail.failQuietly(
      'VIW_E_AUTH_FAILED',
      !user ? 'unknown user' : usable ? 'wrong password' : 'account locked',
    );
    return deps.txns.createDecoy(txn);
  }
  trail.note('enrollment otp sent to bound phone');
  return deps.txns.createGenuine(user.id, txn);
}

export async function confirmEnrollWithOtp(
  deps: IdentityDeps,
  trail: AuditTrail,
  input: { txnId: string; code: string; signerKeyId: string; sourceIp: string },
): Promise<EnrolledRow> {
  const outcome = await checkOtp(
    deps.txns,
    deps.otpKeys,
    { ...input, purpose: 'enroll' },
    deps.now().getTime(),
  );
  const userId = outcome.record && !outcome.record.decoy ? outcome.record.userId : null;
  const user = userId ? await deps.db.user.findUnique({ where: { id: userId } }) : null;
  trail.user(user?.auditId);
  if (!outcome.ok) return refuseCode(deps, trail, outcome, user?.id ?? null, input.txnId, false);
  const enrollment = outcome.record.enrollment;
  if (!user || !enrollment) throw new ViworksError('VIW_E_AUTH_FAILED');
  if (isLocked(user, deps.now())) throw new ViworksError('VIW_E_ACCOUNT_LOCKED');
  trail.note('enrolled with password and phone code, pending approval');
  return createDevice(deps, trail, user.id, enrollment, false, null);
}

async function createDevice(
  deps: IdentityDeps,
  trail: AuditTrail,
  userId: string,
  e: PendingEnrollment,
  active: boolean,
  tokenId: string | null,
): Promise<EnrolledRow> {
  try {
    const row = await deps.db.desktopDevice.create({
      data: {
        userId,
        hpkePublicKey: e.hpkePublicKey,
        signingPublicKey: e.signingPublicKey,
        fingerprint: e.fingerprint,
        platform: e.platform,
        name: e.name,
        clientVersion: e.clientVersion,
        keyProtection: e.keyProtection,
        keyType: e.keyType ?? 'x25519_ed25519',
        status: active ? 'active' : 'pending_approval',
        approvedAt: active ? deps.now() : null,
        enrollmentTokenId: tokenId,
      },
    });
    trail.device(row.id);
    return { id: row.id, status: active ? 'active' : 'pending_approval', fingerprint: row.fingerprint };
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new ViworksError('VIW_E_DEVICE_EXISTS');
    }
    throw err;
  }
}
