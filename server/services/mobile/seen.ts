// When a phone was last heard from: its last signed request that verified (code fetch, reveal,
// deny), shown to administrators (GET /admin/phones). Written at most once per SEEN_RESOLUTION_MS:
// the row the signature check just loaded says when it was last written, so a phone that long-polls
// every 25 s costs one conditional UPDATE a minute, and two instances racing write it once.
import type { Db, MobileDevice } from '../../data/client.js';

export const SEEN_RESOLUTION_MS = 60_000;

export async function notePhoneSeen(
  db: Db,
  phone: Pick<MobileDevice, 'id' | 'lastSeenAt'>,
  now: Date,
): Promise<void> {
  const stale = new Date(now.getTime() - SEEN_RESOLUTION_MS);
  if (phone.lastSeenAt && phone.lastSeenAt > stale) return;
  await db.mobileDevice.updateMany({
    where: { id: phone.id, OR: [{ lastSeenAt: null }, { lastSeenAt: { lte: stale } }] },
    data: { lastSeenAt: now },
  });
}
