// Binding this phone (docs/phone-protocol.md, "Binding"): a new signing key, the backend's
// WebAuthn challenge for it and the bind code, a platform credential made with user verification
// and `direct` attestation, then the bind itself. The key is kept only when the bind succeeded.
import { startRegistration } from '@simplewebauthn/browser';
import type { MOBILE_PLATFORMS, WebAuthnRegistration } from '../../../core/api/mobile.js';
import { type BoundPhone, newPhoneKey, saveBoundPhone } from './identity.js';
import { api, signerFor } from './phone-api.js';

type Platform = (typeof MOBILE_PLATFORMS)[number];

/** What the backend records as the phone's platform; informational, the attestation decides trust. */
function platformOf(userAgent: string): Platform {
  return /iPhone|iPad|iPod|Macintosh/.test(userAgent) ? 'ios' : 'android';
}

/** A bind code as people type it: spaces and hyphens allowed, any case (the backend normalizes). */
export const BIND_CODE_PATTERN = /^[A-Za-z0-9 -]{10,16}$/;

export async function bindThisPhone(bindCode: string): Promise<BoundPhone> {
  const key = await newPhoneKey();
  const signer = signerFor(key.fingerprint, key.privateKey);
  const o = await api.bindOptions({ bind_code: bindCode, public_key: key.publicKey }, signer);
  const r = await startRegistration({
    optionsJSON: {
      challenge: o.challenge,
      rp: { id: o.rp_id, name: 'ViWorkS' },
      user: { id: o.user_id, name: o.user_name, displayName: o.user_name },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      timeout: o.timeout_s * 1000,
      attestation: 'direct',
      authenticatorSelection: {
        authenticatorAttachment: 'platform',
        userVerification: 'required',
        residentKey: 'discouraged',
      },
    },
  });
  // Only the fields of the wire contract: the library's extras (publicKey, authenticatorData…)
  // are derived from the attestation object, which the backend reads itself.
  const registration: WebAuthnRegistration = {
    id: r.id,
    rawId: r.rawId,
    type: 'public-key',
    response: {
      clientDataJSON: r.response.clientDataJSON,
      attestationObject: r.response.attestationObject,
      ...(r.response.transports ? { transports: r.response.transports.slice(0, 8) } : {}),
    },
    clientExtensionResults: {},
    ...(r.authenticatorAttachment ? { authenticatorAttachment: r.authenticatorAttachment } : {}),
  };
  const bound = await api.bindPhone(
    {
      bind_code: bindCode,
      platform: platformOf(navigator.userAgent),
      public_key: key.publicKey,
      attestation: { type: 'webauthn', registration },
    },
    signer,
  );
  const phone: BoundPhone = {
    version: 1,
    ...key,
    mobileDeviceId: bound.mobile_device_id,
    credentialId: r.id,
    userName: o.user_name,
    boundAt: new Date().toISOString(),
  };
  await saveBoundPhone(phone);
  return phone;
}
