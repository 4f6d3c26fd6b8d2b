// The WebAuthn attestation verifier against registrations a software authenticator makes (the one
// the phone simulator uses), with an attestation CA the test builds: a packed full attestation to a
// configured root is accepted with its verdict; none, self attestation, an untrusted root, another
// origin or RP ID, another challenge, no user verification, malformed or oversized input are each
// refused with VIW_E_ATTESTATION_INVALID; 10⁴ mutated attestation objects are never accepted and
// never crash the verifier (nor are trailing bytes after the CBOR item let through).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { type AttestationIdentity, SoftwareAuthenticator } from '../../../../mobile/sim/authenticator.js';
import { newAuthenticatorModel } from '../../../pki/attestation-ca.js';
import { seededInts } from '../../../testing/seeded-random.js';
import type { AttestationPolicy } from './policy.js';
import { verifyWebAuthnAttestation } from './webauthn.js';

const RP = 'backend.viworks.test';
const ORIGIN = `https://${RP}`;
const AAGUID = Uint8Array.from(
  createHash('sha256').update('viworks test authenticator').digest().subarray(0, 16),
);

async function attestationCa(org: string) {
  const model = await newAuthenticatorModel(org, AAGUID, 30);
  const identity: AttestationIdentity = { x5c: [model.certDer], keyPem: model.keyPem, aaguid: AAGUID };
  return { rootPem: model.rootPem, identity };
}

const challenge = () => randomBytes(32).toString('base64url');
const refused = (reason: RegExp) => (e: unknown) =>
  isViworksError(e, 'VIW_E_ATTESTATION_INVALID') && reason.test(e.details.join(' '));

function reencode(attestationObject: string, edit: (m: Map<string, unknown>) => void): string {
  const m = isoCBOR.decodeFirst<Map<string, unknown>>(Buffer.from(attestationObject, 'base64url'));
  edit(m);
  return Buffer.from(isoCBOR.encode(m as Parameters<typeof isoCBOR.encode>[0])).toString('base64url');
}

describe('WebAuthn attestation verifier', () => {
  let trusted: Awaited<ReturnType<typeof attestationCa>>;
  let stranger: Awaited<ReturnType<typeof attestationCa>>;
  let policy: AttestationPolicy;
  before(async () => {
    trusted = await attestationCa('Managed Phones');
    stranger = await attestationCa('Someone Else');
    policy = { rpId: RP, origin: ORIGIN, roots: { packed: [trusted.rootPem] } };
  });

  it('accepts a packed full attestation that chains to a configured root, with its verdict', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(trusted.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    const v = await verifyWebAuthnAttestation(policy, reg, c);
    assert.equal(v.format, 'packed');
    assert.equal(v.aaguid.replaceAll('-', ''), Buffer.from(AAGUID).toString('hex'));
    assert.equal(v.userVerified, true);
    assert.equal(v.hardwareBacked, true);
    assert.equal(v.deviceBound, true);
    assert.equal(v.credentialId, reg.id);
    const der = Buffer.from(trusted.rootPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(v.trustRoot, createHash('sha256').update(der).digest('hex'));
  });

  it('refuses a chain to a root the policy does not name, and a format without roots', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(stranger.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    await assert.rejects(verifyWebAuthnAttestation(policy, reg, c), refused(/trusted root/));
    const none = { rpId: RP, origin: ORIGIN, roots: {} };
    await assert.rejects(verifyWebAuthnAttestation(none, reg, c), refused(/not accepted/));
  });

  it('refuses none and self attestation whatever the configuration', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(trusted.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    const noneFmt = reencode(reg.response.attestationObject, (m) => {
      m.set('fmt', 'none');
      m.set('attStmt', new Map());
    });
    const resp = (attestationObject: string) => ({
      ...reg,
      response: { ...reg.response, attestationObject },
    });
    await assert.rejects(verifyWebAuthnAttestation(policy, resp(noneFmt), c), refused(/none/));
    const self = reencode(reg.response.attestationObject, (m) => {
      (m.get('attStmt') as Map<string, unknown>).delete('x5c');
    });
    await assert.rejects(verifyWebAuthnAttestation(policy, resp(self), c), refused(/self attestation/));
  });

  it('refuses another challenge, origin or RP ID, and a registration without user verification', async () => {
    const auth = SoftwareAuthenticator.create(trusted.identity);
    const c = challenge();
    const ok = auth.register({ rpId: RP, origin: ORIGIN, challenge: c });
    await assert.rejects(verifyWebAuthnAttestation(policy, ok, challenge()), refused(/verification failed/));
    const otherOrigin = auth.register({ rpId: RP, origin: 'https://evil.example', challenge: c });
    await assert.rejects(verifyWebAuthnAttestation(policy, otherOrigin, c), refused(/verification failed/));
    const otherRp = auth.register({ rpId: 'evil.example', origin: ORIGIN, challenge: c });
    await assert.rejects(verifyWebAuthnAttestation(policy, otherRp, c), refused(/verification failed/));
    const noUv = auth.register({ rpId: RP, origin: ORIGIN, challenge: c, userVerified: false });
    await assert.rejects(verifyWebAuthnAttestation(policy, noUv, c), refused(/verification/));
  });

  it('refuses the same signature in a second DER encoding (outer length changed)', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(trusted.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    const reencoded = reencode(reg.response.attestationObject, (m) => {
      const stmt = m.get('attStmt') as Map<string, unknown>;
      const sig = Uint8Array.from(stmt.get('sig') as Uint8Array);
      sig[1] = (sig[1] ?? 0) - 15;
      stmt.set('sig', sig);
    });
    const input = { ...reg, response: { ...reg.response, attestationObject: reencoded } };
    await assert.rejects(verifyWebAuthnAttestation(policy, input, c), refused(/strict DER/));
  });

  it('refuses malformed, oversized and mistyped input before decoding anything', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(trusted.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    const bad = [
      null,
      'a string',
      { ...reg, extra: 1 },
      { ...reg, type: 'password' },
      { ...reg, response: { ...reg.response, attestationObject: 'A'.repeat(20_000) } },
      { ...reg, response: { ...reg.response, attestationObject: 'not base64url!' } },
      {
        ...reg,
        response: { ...reg.response, attestationObject: Buffer.from([0xff, 0x00]).toString('base64url') },
      },
      {
        ...reg,
        response: { ...reg.response, attestationObject: Buffer.from('"text"').toString('base64url') },
      },
    ];
    for (const input of bad) {
      await assert.rejects(verifyWebAuthnAttestation(policy, input, c), (e) =>
        isViworksError(e, 'VIW_E_ATTESTATION_INVALID'),
      );
    }
  });

  it('never accepts and never crashes on 10⁴ mutated attestation objects', async () => {
    const c = challenge();
    const reg = SoftwareAuthenticator.create(trusted.identity).register({
      rpId: RP,
      origin: ORIGIN,
      challenge: c,
    });
    const original = Buffer.from(reg.response.attestationObject, 'base64url');
    const rand = seededInts(0x9e3779b9);
    const outcomes = new Map<string, number>();
    let where = '';
    for (let i = 0; i < 10_000; i++) {
      const m = Buffer.from(original);
      const kind = rand(4);
      let mutated: Buffer = m;
      if (kind === 0) {
        for (let k = 0; k <= rand(3); k++) {
          const at = rand(m.length);
          m[at] = (m[at] ?? 0) ^ (1 << rand(8));
        }
      } else if (kind === 1) mutated = m.subarray(0, rand(m.length));
      else if (kind === 2) mutated = Buffer.concat([m, randomBytes(1 + rand(16))]);
      else {
        const at = rand(m.length);
        m[at] = rand(256);
        where = `byte ${at}: ${original[at]} → ${m[at]}`;
      }
      const input = {
        ...reg,
        response: { ...reg.response, attestationObject: mutated.toString('base64url') },
      };
      try {
        await verifyWebAuthnAttestation(policy, input, c);
        if (!mutated.equals(original)) assert.fail(`mutation ${i} (kind ${kind}) was accepted (${where})`);
      } catch (err) {
        if (!isViworksError(err, 'VIW_E_ATTESTATION_INVALID')) throw err;
        const reason = err.details[0] ?? '';
        outcomes.set(reason, (outcomes.get(reason) ?? 0) + 1);
      }
    }
    assert.ok(outcomes.size >= 3, `mutations reach several checks: ${[...outcomes.keys()].join('; ')}`);
  });
});
