// Codes (docs/phone-protocol.md, "Codes"): wait for a desktop's login, show its context, and show
// the code only after the person passes user verification on this phone; or deny it.
import { startAuthentication } from '@simplewebauthn/browser';
import type { PendingOtp, RevealResponse, WebAuthnAssertion } from '../../../core/api/mobile.js';
import type { BoundPhone } from './identity.js';
import { api, signerFor } from './phone-api.js';

const signer = (phone: BoundPhone) => signerFor(phone.mobileDeviceId, phone.privateKey);

/** The waiting login, or null; long-polls up to `waitS` seconds. */
export function pendingLogin(phone: BoundPhone, waitS: number): Promise<PendingOtp | null> {
  return api.pendingOtp(signer(phone), waitS);
}

/** Asks the platform authenticator for a user-verified assertion, then the backend for the code. */
export async function revealCode(phone: BoundPhone, pending: PendingOtp): Promise<RevealResponse> {
  if (!pending.reveal) throw new Error('this login carries no verification challenge');
  const a = await startAuthentication({
    optionsJSON: {
      challenge: pending.reveal.challenge,
      rpId: pending.reveal.rp_id,
      allowCredentials: [{ id: pending.reveal.credential_id, type: 'public-key' }],
      userVerification: 'required',
      timeout: 60_000,
    },
  });
  const assertion: WebAuthnAssertion = {
    id: a.id,
    rawId: a.rawId,
    type: 'public-key',
    response: {
      clientDataJSON: a.response.clientDataJSON,
      authenticatorData: a.response.authenticatorData,
      signature: a.response.signature,
      ...(a.response.userHandle ? { userHandle: a.response.userHandle } : {}),
    },
    clientExtensionResults: {},
    ...(a.authenticatorAttachment ? { authenticatorAttachment: a.authenticatorAttachment } : {}),
  };
  return api.revealOtp({ txn_id: pending.txn_id, assertion }, signer(phone));
}

export function denyLogin(phone: BoundPhone, txnId: string): Promise<void> {
  return api.denyOtp(txnId, signer(phone));
}
