// Admin API: bound phones (the second factor that shows the login codes) with the verdict of the
// attestation each proved at bind (server/services/mobile/attestation) and when it was last heard.
import type { ListPhonesQueryT, PhoneViewT } from '../../../core/api/admin-phones.js';
import type { MobileDevice } from '../../data/client.js';
import type { AdminDeps } from './credentials.js';
import { iso, pageArgs, pageOf } from './paging.js';

type PhoneRow = MobileDevice & { user: { username: string } };

export function phoneView(p: PhoneRow): PhoneViewT {
  return {
    id: p.id,
    user_id: p.userId,
    username: p.user.username,
    platform: p.platform,
    status: p.status,
    fingerprint: p.fingerprint,
    attestation_type: p.attestationType,
    attestation_verdict: p.attestationVerdict,
    attestation_format: p.attestationFormat,
    attested_at: iso(p.attestedAt),
    hardware_backed: p.hardwareBacked,
    user_verified: p.userVerified,
    bound_at: iso(p.createdAt),
    revoked_at: iso(p.revokedAt),
    last_seen_at: iso(p.lastSeenAt),
  };
}

export async function listPhones(deps: Pick<AdminDeps, 'db'>, q: ListPhonesQueryT) {
  const { idBelow, orderBy, take } = pageArgs(q);
  const status = q.status ?? 'active';
  const rows = await deps.db.mobileDevice.findMany({
    where: {
      ...idBelow,
      ...(q.user_id ? { userId: q.user_id } : {}),
      ...(status === 'all' ? {} : { status }),
    },
    include: { user: { select: { username: true } } },
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  return { phones: page.items.map(phoneView), next_cursor: page.next_cursor };
}
