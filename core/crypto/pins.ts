// SPKI pins: SHA-256 over the DER SubjectPublicKeyInfo, standard base64 with padding (the HPKP
// `pin-sha256` form, 44 characters). Clients carry a primary and a backup pin so a key can roll
// without bricking them; a certificate whose key matches neither is refused (fail closed).
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { ViworksError } from '../errors/viworks-error.js';
import { constantTimeEqual } from './bytes.js';

export interface PinSet {
  readonly primary_b64: string;
  readonly backup_b64: string;
}

export type PinMatch = 'primary' | 'backup';

const PIN_RE = /^[A-Za-z0-9+/]{43}=$/;

/** True for a well-formed pin: 44 base64 characters decoding to exactly 32 bytes. */
export function isWellFormedPin(pin: string): boolean {
  return PIN_RE.test(pin) && Buffer.from(pin, 'base64').length === 32;
}

export function spkiPinFromDer(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('base64');
}

export function spkiPinFromKey(key: KeyObject): string {
  return spkiPinFromDer(key.export({ type: 'spki', format: 'der' }));
}

/** Pin of a certificate given as PEM text, DER bytes or a parsed node X509Certificate. */
export function spkiPinFromCertificate(cert: string | Uint8Array | X509Certificate): string {
  const parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return spkiPinFromKey(parsed.publicKey);
}

/** Rejects a pin set that could not protect anyone: malformed pins, or backup equal to primary. */
export function assertPinSet(pins: PinSet, label: string): void {
  const bad: string[] = [];
  if (!isWellFormedPin(pins.primary_b64)) bad.push(`${label}.primary_b64: malformed pin`);
  if (!isWellFormedPin(pins.backup_b64)) bad.push(`${label}.backup_b64: malformed pin`);
  if (bad.length === 0 && pins.primary_b64 === pins.backup_b64) bad.push(`${label}: backup equals primary`);
  if (bad.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: bad });
}

/**
 * Which pin the presented key matches. Both comparisons always run, in constant time, so timing
 * does not tell which pin (if any) matched. Throws VIW_E_PIN_MISMATCH otherwise.
 */
export function matchPin(presentedPin: string, pins: PinSet): PinMatch {
  const presented = Buffer.from(presentedPin, 'base64');
  const primary = constantTimeEqual(presented, Buffer.from(pins.primary_b64, 'base64'));
  const backup = constantTimeEqual(presented, Buffer.from(pins.backup_b64, 'base64'));
  if (primary) return 'primary';
  if (backup) return 'backup';
  throw new ViworksError('VIW_E_PIN_MISMATCH');
}
