// The lab's managed-authenticator attestation CA: an ordinary production configuration (an
// organisation trusting the attestation root of the authenticators it hands out), not a development
// switch. The backend is configured with the root (VIWORKS_ATTESTATION_ROOTS=packed=…); the phone
// simulator holds one authenticator model's attestation certificate and key and binds through a
// WebAuthn credential with a packed attestation under it. Made once per lab; kept across `up`.
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAuthenticatorModel } from '../../server/pki/attestation-ca.js';
import type { LabPlan } from './plan.js';

const ORG = 'ViWorkS Lab';
/** The lab's authenticator model: a fixed AAGUID, so audit events name it the same every time. */
const AAGUID = createHash('sha256').update('viworks lab phone authenticator').digest().subarray(0, 16);

export const attestationRootFile = (plan: LabPlan) => join(plan.dirs.backend, 'attestation-root.pem');
export const phoneAttestationFile = (plan: LabPlan) => join(plan.dirs.phone, 'phone-attestation.json');

export async function ensureLabAttestation(plan: LabPlan): Promise<void> {
  if (existsSync(attestationRootFile(plan)) && existsSync(phoneAttestationFile(plan))) return;
  const model = await newAuthenticatorModel(ORG, AAGUID, 365);
  const identity = {
    v: 1,
    x5c: [Buffer.from(model.certDer).toString('base64')],
    key_pem: model.keyPem,
    aaguid: AAGUID.toString('hex'),
  };
  writeFileSync(phoneAttestationFile(plan), `${JSON.stringify(identity)}\n`, { mode: 0o600 });
  // The root's private key is not kept: the lab never issues a second authenticator model.
  writeFileSync(attestationRootFile(plan), model.rootPem, { mode: 0o644 });
}
