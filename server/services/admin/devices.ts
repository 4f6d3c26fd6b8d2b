// Admin API: desktop devices. Approve moves pending_approval → active; unbind revokes the device
// (its key can never be used again) and ends every session it has, and its SPA keys are removed
// from every active gateway (in the background: audited there, never failing the unbind). Each
// device shows the posture its daemon declared at its last completed login (auth/login-record.ts).
import type { DeviceViewT, ListDevicesQueryT } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { DesktopDevice } from '../../data/client.js';
import { storedPosture } from '../auth/login-record.js';
import { endSessions } from '../client/end-sessions.js';
import { isHardened } from '../policy/facts.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import type { AdminDeps } from './credentials.js';
import { iso, pageArgs, pageOf } from './paging.js';

type DeviceRow = DesktopDevice & { user: { username: string; auditId: string } };
const withUser = { user: { select: { username: true, auditId: true } } } as const;

export function deviceView(d: DeviceRow): DeviceViewT {
  const posture = storedPosture(d.lastPosture);
  return {
    id: d.id,
    user_id: d.userId,
    username: d.user.username,
    fingerprint: d.fingerprint,
    platform: d.platform,
    client_version: d.clientVersion,
    key_protection: d.keyProtection,
    status: d.status,
    enrollment_token_id: d.enrollmentTokenId,
    created_at: iso(d.createdAt),
    approved_at: iso(d.approvedAt),
    revoked_at: iso(d.revokedAt),
    posture,
    hardened: posture === null ? null : isHardened(posture),
    last_login_at: iso(d.lastLoginAt),
  };
}

export async function listDevices(deps: AdminDeps, q: ListDevicesQueryT) {
  const { idBelow, orderBy, take } = pageArgs(q);
  const rows = await deps.db.desktopDevice.findMany({
    where: {
      ...idBelow,
      ...(q.user_id ? { userId: q.user_id } : {}),
      ...(q.status ? { status: q.status } : {}),
    },
    include: withUser,
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  return { devices: page.items.map(deviceView), next_cursor: page.next_cursor };
}

/** 404 for an unknown device, 409 when it is not in a state the action starts from. */
async function transition(
  deps: AdminDeps,
  id: string,
  from: ReadonlyArray<DesktopDevice['status']>,
  data: Partial<Pick<DesktopDevice, 'status' | 'approvedAt' | 'revokedAt'>>,
): Promise<DeviceRow> {
  const moved = await deps.db.desktopDevice.updateMany({ where: { id, status: { in: [...from] } }, data });
  const device = await deps.db.desktopDevice.findUnique({ where: { id }, include: withUser });
  if (!device) throw new ViworksError('VIW_E_NOT_FOUND');
  if (moved.count !== 1) {
    throw new ViworksError('VIW_E_CONFLICT', { details: [`the device is ${device.status}`] });
  }
  return device;
}

export async function approveDevice(deps: AdminDeps, actor: AdminActor, id: string) {
  const device = await transition(deps, id, ['pending_approval'], {
    status: 'active',
    approvedAt: deps.now(),
  });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.device_approve',
    result: 'success',
    targetAuditId: device.user.auditId,
    device_id: device.id,
  });
  return { device: deviceView(device), ended_sessions: 0 };
}

export async function unbindDevice(
  deps: AdminDeps & Pick<AppContext, 'gatewayControl'>,
  actor: AdminActor,
  id: string,
) {
  const device = await transition(deps, id, ['pending_approval', 'active'], {
    status: 'revoked',
    revokedAt: deps.now(),
  });
  const ended = await endSessions(deps.sessionEnd, { deviceId: id }, 'revoked', { traceId: actor.traceId });
  deps.gatewayControl.deviceRevoked(id);
  await auditAdmin(deps.audit, actor, {
    action: 'admin.device_unbind',
    result: 'success',
    targetAuditId: device.user.auditId,
    device_id: device.id,
  });
  return { device: deviceView(device), ended_sessions: ended.length };
}
