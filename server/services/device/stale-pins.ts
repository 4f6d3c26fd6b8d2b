// Pin staleness (pki-siem §4.2, §4.6: "clients presenting an old pin when the window elapsed"). A
// desktop's login carries the backend SPKI pins it holds (core/api/auth.ts `backend_pins`). The
// backend publishes two: the primary it presents and the backup (ctx.pki.backendApi.pins, as
// `viworks-server pki status` and the start banner show them). A pin roll (server/pki/pin-roll.ts)
// unpublishes the old primary; clients must learn the new pair within the roll window. A login that
// still presents an unpublished pin after the window is recorded ONCE a day per device as
// `client.pin_stale` (component client, result success, severity warning; error_msg: which pins,
// how long since the roll; duration_ms: the same time). Within the window nothing is recorded.
//
// When the pins last changed is not stored anywhere: it is taken from the modification time of the
// primary key file (<dataDir>/pki/backend-api.key), which only the roll (and the very first start)
// writes — certificate renewals keep the key. A restored or copied data directory resets that time
// (the window restarts: later alerts, never false ones). Unknown (no file): the window counts as
// elapsed and the message says the roll time is unknown.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { PinSet } from '../../../core/crypto/pins.js';
import type { AppContext } from '../../context.js';
import type { DesktopDevice } from '../../data/client.js';
import type { ReportOrigin } from './device-events.js';

/** The default of `detections.pinRollWindowDays` (the login route passes the configured one). */
export const PIN_ROLL_WINDOW_DAYS = 14;
const DAY_MS = 86_400_000;
/** One `client.pin_stale` per device within this time. */
export const PIN_STALE_REPEAT_MS = DAY_MS;

export interface StalePinInput {
  /** The pins the login presented (base64 SPKI sha256). */
  readonly clientPins: readonly string[];
  /** The pins the backend publishes now. */
  readonly published: PinSet;
  /** When the published pins last changed (epoch ms); null: unknown. */
  readonly rolledAtMs: number | null;
  readonly nowMs: number;
  readonly windowMs: number;
}

export interface StalePinVerdict {
  /** The presented pins that are not published, in the order presented, each once. */
  readonly stale: readonly string[];
  /** Since the roll (ms); null when the roll time is unknown. */
  readonly sinceRollMs: number | null;
}

/** The stale pins of a login, or null when there are none or the roll window has not elapsed yet. */
export function stalePins(i: StalePinInput): StalePinVerdict | null {
  const published = new Set([i.published.primary_b64, i.published.backup_b64]);
  const stale = [...new Set(i.clientPins)].filter((p) => !published.has(p));
  if (stale.length === 0) return null;
  if (i.rolledAtMs !== null && i.nowMs - i.rolledAtMs < i.windowMs) return null;
  return { stale, sinceRollMs: i.rolledAtMs === null ? null : Math.round(i.nowMs - i.rolledAtMs) };
}

/** When the backend's pins last changed: the primary key file's modification time (see the header). */
export function backendPinsChangedAt(dataDir: string): number | null {
  try {
    return statSync(join(dataDir, 'pki', 'backend-api.key')).mtimeMs;
  } catch {
    return null;
  }
}

const days = (ms: number) => `${(ms / DAY_MS).toFixed(1)} d`;

/** The audit event's error_msg (printable ASCII, ≤ 256: at most 4 pins of 44 characters). */
export function stalePinText(v: StalePinVerdict, windowMs: number): string {
  const since = v.sinceRollMs === null ? 'roll time unknown' : `pin roll ${days(v.sinceRollMs)} ago`;
  return `stale pin ${v.stale.join(',')} not published; ${since} (window ${days(windowMs)})`.slice(0, 256);
}

export type StalePinsCtx = Pick<AppContext, 'config' | 'pki' | 'audit' | 'db' | 'kv' | 'now'>;

export interface StalePinOptions {
  readonly windowDays?: number;
  /** Overrides backendPinsChangedAt (tests). */
  readonly rolledAtMs?: number | null;
}

/**
 * Checks the pins a login of `device` presented (signature verified, device active) and records
 * `client.pin_stale` when due. Best effort: never throws, never delays the login by more than a
 * stat, a counter and one audit write. Returns whether it recorded.
 */
export async function noteLoginPins(
  ctx: StalePinsCtx,
  device: DesktopDevice,
  clientPins: readonly string[],
  origin: ReportOrigin,
  opts: StalePinOptions = {},
): Promise<boolean> {
  if (clientPins.length === 0) return false;
  try {
    const windowMs = (opts.windowDays ?? PIN_ROLL_WINDOW_DAYS) * DAY_MS;
    const verdict = stalePins({
      clientPins,
      published: ctx.pki.backendApi.pins,
      rolledAtMs: opts.rolledAtMs !== undefined ? opts.rolledAtMs : backendPinsChangedAt(ctx.config.dataDir),
      nowMs: ctx.now().getTime(),
      windowMs,
    });
    if (!verdict) return false;
    if ((await ctx.kv.incr(`pin-stale:${device.id}`, PIN_STALE_REPEAT_MS)) > 1) return false;
    const user = await ctx.db.user.findUnique({ where: { id: device.userId }, select: { auditId: true } });
    await ctx.audit.record({
      component: 'client',
      action: 'client.pin_stale',
      result: 'success',
      severity: 'warning',
      userAuditId: user?.auditId ?? null,
      device_id: device.id,
      src_ip: origin.sourceIp,
      trace_id: origin.traceId,
      duration_ms: verdict.sinceRollMs,
      error_msg: stalePinText(verdict, windowMs),
    });
    return true;
  } catch {
    // The login goes on: a staleness note is no reason to refuse or delay it.
    return false;
  }
}
