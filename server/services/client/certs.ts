// The per-session OpenVPN client certificate: a fresh P-256 key, a 'vpn-client' certificate from
// int-vpn with CN = the session's wire id, valid no longer than the session (and ≤ 1 day, the
// profile's ceiling). Recorded in IssuedCertificate (linked to the session) and as the session's
// clientCertSerial, which is how a tunnel maps back to its session and how ending a session revokes
// it. The private key is returned once, as PKCS#8 DER, for the sealed bootstrap only: it is never
// stored or logged, and the caller must wipe it.
import { webcrypto } from 'node:crypto';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import type { Db } from '../../data/client.js';
import type { EmbeddedPki } from '../../pki/embedded-pki.js';
import { createEndEntity, randomSerial } from '../../pki/issue.js';
import { generateEcKeyPair } from '../../pki/keys.js';
import { PROFILES } from '../../pki/profiles.js';

export interface SessionCertificate {
  readonly serial: string;
  readonly certPem: string;
  /** PKCS#8 DER of the private key. The caller wipes it (Buffer.fill(0)) as soon as it is sealed. */
  readonly keyDer: Buffer;
  readonly notAfter: Date;
}

export interface ClientCertDeps {
  readonly db: Db;
  readonly pki: EmbeddedPki;
  readonly now: () => Date;
}

/** Margin kept between the certificate's end and the session's, so clock rounding never exceeds it. */
const LIFETIME_MARGIN_MS = 5_000;

export async function issueSessionCertificate(
  deps: ClientCertDeps,
  session: { readonly id: string; readonly expiresAt: Date },
): Promise<SessionCertificate> {
  const issuer = deps.pki.intermediates['int-vpn'];
  const lifetimeMs = session.expiresAt.getTime() - deps.now().getTime() - LIFETIME_MARGIN_MS;
  const keys = await generateEcKeyPair();
  const serial = randomSerial();
  const cert = await createEndEntity(
    issuer,
    PROFILES['vpn-client'],
    { commonName: toWireId('s', session.id) },
    keys.publicKey,
    lifetimeMs,
    serial,
  );
  await deps.db.$transaction([
    deps.db.issuedCertificate.create({
      data: {
        serial,
        profile: 'vpn_client',
        issuer: issuer.cert.subject,
        subject: cert.subject,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        sessionId: session.id,
      },
    }),
    deps.db.session.update({ where: { id: session.id }, data: { clientCertSerial: serial } }),
  ]);
  const keyDer = Buffer.from(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey),
  );
  return { serial, certPem: cert.toString('pem'), keyDer, notAfter: cert.notAfter };
}

/** PEM text of a PKCS#8 key, built from the DER (64-column base64, as OpenSSL writes it). */
export function pkcs8Pem(der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}
