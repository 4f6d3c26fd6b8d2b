// Which changes widen access (issue #14, dual approval): a change whose list here is not empty
// waits for a second administrator; a change that only narrows (or changes nothing that grants
// access) takes effect at once. Pure: old document and new document in, reasons out.
import {
  KEY_PROTECTION_ORDER,
  type PolicyDocument,
  WEEKDAYS,
  type Weekday,
} from '../../../core/api/policy.js';
import { parseCidr } from './check.js';
import { inWindows } from './evaluate.js';

/** A session lifetime above this is a relaxation even when the old one was already long. */
export const RELAXATION_LIFETIME_LIMIT_S = 8 * 3600;

const added = <T>(before: readonly T[], after: readonly T[]) => after.filter((x) => !before.includes(x));

/** True when network `inner` lies inside one of `outer`. */
function covered(inner: string, outer: readonly string[]): boolean {
  const n = parseCidr(inner);
  if (typeof n === 'string') return false;
  return outer.some((o) => {
    const m = parseCidr(o);
    return typeof m !== 'string' && m.first <= n.first && n.last <= m.last;
  });
}

type Schedule = NonNullable<PolicyDocument['schedule']>;

const MINUTES_PER_DAY = 1440;

/** The first minute of the week (`wed 18:05`) for which `holds` is true; null when none. */
function firstMinute(holds: (day: Weekday, minute: number) => boolean): string | null {
  for (const day of WEEKDAYS)
    for (let m = 0; m < MINUTES_PER_DAY; m++)
      if (holds(day, m))
        return `${day} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return null;
}

/**
 * Why `after` allows a moment `before` does not; null when it does not. Exact, not sampled: in one
 * zone an instant is allowed exactly when its local weekday and minute are, and every weekday-minute
 * occurs on the wall clock in some week, so comparing the 10 080 minutes of the week decides it.
 * Across two zones the offset between them moves with their DST rules (UTC → Europe/London admits
 * 07:30Z in June but not in December), so any change of zone counts as a widening: conservative, an
 * approver reads the diff. A schedule lifted counts unless the old one already allowed every minute.
 */
function scheduleWidening(before: Schedule | null, after: Schedule | null): string | null {
  if (!before) return null;
  const closedBefore = (day: Weekday, m: number) => !inWindows(before.windows, day, m);
  if (!after) {
    const closed = firstMinute(closedBefore);
    return closed ? `schedule widened: lifted (${closed} ${before.time_zone} was closed)` : null;
  }
  if (after.time_zone !== before.time_zone)
    return `schedule widened: time zone changed from ${before.time_zone} to ${after.time_zone}`;
  const opened = firstMinute((day, m) => inWindows(after.windows, day, m) && closedBefore(day, m));
  return opened ? `schedule widened: ${opened} ${after.time_zone} newly allowed` : null;
}

/** Why `after` grants more than `before` (empty: it does not). Each reason is a short phrase. */
export function relaxations(before: PolicyDocument, after: PolicyDocument): string[] {
  const r: string[] = [];
  if (before.tunnel.mode === 'full' && after.tunnel.mode === 'split') r.push('split tunnel on');
  const newRoutes = after.tunnel.routes.filter((c) => !covered(c, before.tunnel.routes));
  // A full tunnel with no routes reaches whatever the gateway serves: any list is narrower.
  const beforeUnbounded = before.tunnel.mode === 'full' && before.tunnel.routes.length === 0;
  if (
    !beforeUnbounded &&
    (newRoutes.length > 0 || (after.tunnel.mode === 'full' && after.tunnel.routes.length === 0))
  )
    r.push(
      newRoutes.length > 0
        ? `routes added: ${newRoutes.join(', ')}`
        : 'routes lifted (full tunnel, any network)',
    );
  // The gateway lets a session reach its policy's DNS servers (port 53): a new one outside the
  // networks already granted is a new destination.
  const newDns = after.dns.servers.filter(
    (ip) => !before.dns.servers.includes(ip) && !covered(`${ip}/32`, before.tunnel.routes),
  );
  if (!beforeUnbounded && newDns.length > 0) r.push(`DNS servers added: ${newDns.join(', ')}`);
  if (
    before.session.lifetime_s < after.session.lifetime_s &&
    after.session.lifetime_s > RELAXATION_LIFETIME_LIMIT_S
  )
    r.push(`session lifetime raised to ${after.session.lifetime_s} s`);
  if (after.session.idle_timeout_s > before.session.idle_timeout_s) r.push('idle timeout raised');
  if (
    !before.gateways.includes('*') &&
    (after.gateways.includes('*') || added(before.gateways, after.gateways).length > 0)
  )
    r.push('gateways added');
  if (before.kill_switch === 'required' && after.kill_switch === 'optional')
    r.push('kill switch no longer required');
  const schedule = scheduleWidening(before.schedule, after.schedule);
  if (schedule) r.push(schedule);
  if (
    before.client_time_zones.length > 0 &&
    (after.client_time_zones.length === 0 ||
      added(before.client_time_zones, after.client_time_zones).length > 0)
  )
    r.push('client time zones widened');
  const g0 = before.geo;
  const g1 = after.geo;
  if (
    (g0.allow_countries.length > 0 &&
      (g1.allow_countries.length === 0 || added(g0.allow_countries, g1.allow_countries).length > 0)) ||
    added(g1.deny_countries, g0.deny_countries).length > 0
  )
    r.push('country restrictions lifted');
  if (
    (g0.allow_asns.length > 0 &&
      (g1.allow_asns.length === 0 || added(g0.allow_asns, g1.allow_asns).length > 0)) ||
    added(g1.deny_asns, g0.deny_asns).length > 0
  )
    r.push('ASN restrictions lifted');
  if (!g0.allow_unknown && g1.allow_unknown) r.push('unknown locations allowed');
  const p0 = before.posture;
  const p1 = after.posture;
  if (
    KEY_PROTECTION_ORDER.indexOf(p1.min_key_protection) < KEY_PROTECTION_ORDER.indexOf(p0.min_key_protection)
  )
    r.push('key protection lowered');
  if (p0.require_phone_attestation && !p1.require_phone_attestation)
    r.push('phone attestation no longer required');
  if (p0.require_hardening && !p1.require_hardening) r.push('hardening no longer required');
  if (
    p0.min_client_version &&
    (!p1.min_client_version || lowerVersion(p1.min_client_version, p0.min_client_version))
  )
    r.push('minimum client version lowered');
  r.push(...browserWidening(before.browser, after.browser));
  return r;
}

/** New browser targets (by address and port: a renamed target is the same one), clipboard or files on. */
function browserWidening(before: PolicyDocument['browser'], after: PolicyDocument['browser']): string[] {
  const r: string[] = [];
  const had = new Set((before?.targets ?? []).map((t) => `${t.host}:${t.port}`));
  const fresh = (after?.targets ?? []).filter((t) => !had.has(`${t.host}:${t.port}`));
  if (fresh.length > 0)
    r.push(`browser targets added: ${fresh.map((t) => `${t.host}:${t.port}`).join(', ')}`);
  if (!before?.clipboard && after?.clipboard) r.push('browser clipboard on');
  if (!before?.file_transfer && after?.file_transfer) r.push('browser file transfer on');
  return r;
}

function lowerVersion(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}
