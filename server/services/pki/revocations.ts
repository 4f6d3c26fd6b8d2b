// Revoking certificates the backend issued: a Revocation row and IssuedCertificate.revokedAt in one
// transaction (the schema keeps them in step), then a fresh CRL for the issuing intermediate.

import type { Db, RevocationReason } from '../../data/client.js';
import type { CrlEntry, CrlPublisher, RevokedSource } from '../../pki/crl.js';

export interface RevocationDeps {
  readonly db: Db;
  readonly crl: CrlPublisher;
  readonly now: () => Date;
}

/** What the CRL publisher lists: revoked certificates of one issuer that have not expired yet. */
export function revokedSource(db: Db): RevokedSource {
  return async (issuerSubject, now) => {
    const rows = await db.issuedCertificate.findMany({
      where: { issuer: issuerSubject, revokedAt: { not: null }, notAfter: { gt: now } },
      select: { serial: true, revokedAt: true, revocationReason: true },
      orderBy: { revokedAt: 'asc' },
    });
    return rows.map(
      (r): CrlEntry => ({
        serial: r.serial,
        revokedAt: r.revokedAt!,
        reason: r.revocationReason ?? 'unspecified',
      }),
    );
  };
}

/**
 * Revokes the certificate with `serial`. Returns false when there is no such certificate or it was
 * already revoked (idempotent); the CRL is republished only when something changed.
 */
export async function revokeCertificate(
  deps: RevocationDeps,
  serial: string,
  reason: RevocationReason,
  revokedById: string | null = null,
): Promise<boolean> {
  const revokedAt = deps.now();
  const issuer = await deps.db
    .$transaction(async (tx) => {
      const cert = await tx.issuedCertificate.findUnique({
        where: { serial },
        select: { id: true, issuer: true, revokedAt: true },
      });
      if (!cert || cert.revokedAt) return null;
      await tx.revocation.create({ data: { certificateId: cert.id, reason, revokedAt, revokedById } });
      await tx.issuedCertificate.update({
        where: { id: cert.id },
        data: { revokedAt, revocationReason: reason },
      });
      return cert.issuer;
    })
    // A concurrent revocation of the same certificate won the unique certificate_id: nothing to do.
    .catch((err: unknown) => {
      if ((err as { code?: string }).code === 'P2002') return null;
      throw err;
    });
  if (issuer === null) return false;
  const name = deps.crl.intermediateFor(issuer);
  if (name) await deps.crl.publish(name);
  return true;
}
