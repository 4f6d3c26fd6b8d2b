// What an attested phone proves before a code is revealed, by how it was bound:
//   webauthn        a user-verified assertion by its credential over the reveal challenge
//   app_attest      an App Attest assertion by its attested key over the reveal client data, with a
//                   counter that must rise (a replayed or cloned key's assertion is refused)
//   play_integrity  a fresh Play Integrity verdict whose nonce is derived from the reveal client data:
//                   the app, its signer and the device are checked again at every reveal (a phone
//                   rooted since binding is refused), though no key of the phone is attested
// The native apps' reveal client data ("viworks-phone-reveal-v1:<challenge>:<txn_id>", native.ts)
// binds the one-time challenge and the transaction. The reveal request itself is signed by the phone's
// Ed25519 key. Neither native proof shows that a person unlocked the phone: the apps gate the code
// behind the platform's local authentication, which the backend cannot see (docs/phone-protocol.md).

import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { MobileDevice } from '../../../data/client.js';
import { verifyAppAttestAssertion } from './app-attest-assertion.js';
import { integrityNonce, notAccepted, revealClientData } from './native.js';
import type { AttestationPolicy } from './policy.js';
import { verifyWebAuthnAssertion } from './webauthn.js';

export type RevealKind = 'webauthn' | 'app_attest' | 'play_integrity';

type BoundPhone = Pick<
  MobileDevice,
  | 'attestationType'
  | 'attestationVerdict'
  | 'credentialId'
  | 'credentialKey'
  | 'signCount'
  | 'appId'
  | 'fingerprint'
>;

/** The proof fields of a reveal request (core/api/mobile.ts RevealRequestSchema); one is set. */
export interface RevealProof {
  readonly assertion?: unknown;
  readonly appAttestAssertion?: string;
  readonly integrityToken?: string;
}

const refuse = (reason: string) => new ViworksError('VIW_E_ATTESTATION_INVALID', { details: [reason] });

/** How this phone must prove itself at reveal; null: it is sent the code (never attested). */
export function revealKind(phone: BoundPhone): RevealKind | null {
  const keyed = phone.credentialId !== null && phone.credentialKey !== null;
  if (phone.attestationType === 'webauthn' && keyed) return 'webauthn';
  if (phone.attestationVerdict !== 'pass') return null;
  if (phone.attestationType === 'app_attest' && keyed) return 'app_attest';
  if (phone.attestationType === 'play_integrity' && phone.appId !== null) return 'play_integrity';
  return null;
}

/** The `reveal` object of GET /mobile/otp for this phone and challenge (see RevealChallengeSchema). */
export function revealChallengeFor(
  policy: Pick<AttestationPolicy, 'rpId'>,
  phone: BoundPhone,
  kind: RevealKind,
  challenge: string,
) {
  switch (kind) {
    case 'webauthn':
      return { challenge, rp_id: policy.rpId, credential_id: phone.credentialId ?? '' };
    case 'app_attest':
      return { challenge, rp_id: phone.appId ?? '', credential_id: phone.credentialId ?? '', type: kind };
    case 'play_integrity':
      return { challenge, rp_id: phone.appId ?? '', credential_id: phone.fingerprint, type: kind };
  }
}

const PROOF_NAME: Readonly<Record<RevealKind, string>> = {
  webauthn: 'a WebAuthn assertion',
  app_attest: 'an App Attest assertion',
  play_integrity: 'a Play Integrity token',
};

/**
 * Verifies the reveal proof of this phone over `challenge`; returns the counter to store (unchanged
 * for Play Integrity) and what was proven (for the audit event). Refusals: VIW_E_ATTESTATION_INVALID.
 */
export async function verifyRevealProof(
  policy: AttestationPolicy,
  phone: BoundPhone,
  proof: RevealProof,
  at: { challenge: string; txnId: string; now: Date },
): Promise<{ counter: number; note: string }> {
  const kind = revealKind(phone);
  const given: RevealKind | null =
    proof.assertion !== undefined
      ? 'webauthn'
      : proof.appAttestAssertion !== undefined
        ? 'app_attest'
        : proof.integrityToken !== undefined
          ? 'play_integrity'
          : null;
  if (!kind || given !== kind)
    throw refuse(`this phone reveals with ${kind ? PROOF_NAME[kind] : 'no proof'}`);
  if (kind === 'webauthn') {
    const counter = await verifyWebAuthnAssertion(
      policy,
      { id: phone.credentialId ?? '', publicKey: phone.credentialKey ?? '', counter: phone.signCount },
      proof.assertion,
      at.challenge,
    );
    return { counter, note: 'user verification' };
  }
  const clientData = revealClientData(at.challenge, at.txnId);
  if (kind === 'app_attest') {
    const aa = policy.appAttest;
    if (!aa) throw notAccepted('app_attest');
    const assertion = Buffer.from(proof.appAttestAssertion ?? '', 'base64url');
    if (assertion.toString('base64url') !== proof.appAttestAssertion)
      throw refuse('assertion is not canonical base64url');
    const { counter } = verifyAppAttestAssertion(aa.config, {
      assertion,
      clientData,
      publicKey: Buffer.from(phone.credentialKey ?? '', 'base64url'),
      storedCounter: phone.signCount,
    });
    return { counter, note: 'an App Attest assertion' };
  }
  const pi = policy.playIntegrity;
  if (!pi) throw notAccepted('play_integrity');
  const v = pi.verify(proof.integrityToken, integrityNonce(clientData), at.now.getTime());
  if (v.packageName !== phone.appId) throw refuse('verdict is for another package than the bound one');
  return {
    counter: phone.signCount,
    note: `a fresh Play Integrity verdict (${v.deviceIntegrity.join(',')})`,
  };
}
