// The policy evaluator (issue #14): facts in, a verdict out — pure, no I/O, the same function at
// login (before the phone's code is issued), at bootstrap, for `explain`, and when the session
// watcher re-checks live sessions. Every rule is evaluated (explain shows them all); the first
// denial in POLICY_RULES order is the one reported, with its stable code.

import type { KeyProtection } from '../../../core/api/device.js';
import {
  KEY_PROTECTION_ORDER,
  POLICY_DENIAL_CODES,
  POLICY_RULES,
  type PolicyDocument,
  type PolicyRule,
  type RuleVerdict,
  WEEKDAYS,
  type Weekday,
} from '../../../core/api/policy.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export interface PolicyFacts {
  readonly at: Date;
  /** The source address's country (ISO 3166-1 alpha-2) and AS number; null when unknown. */
  readonly country: string | null;
  readonly asn: number | null;
  /** Null when the device is not known yet (explain without --device). */
  readonly device: {
    readonly keyProtection: KeyProtection;
    readonly clientVersion: string | null;
    /** The daemon's hardening as reported at login (null: not reported). */
    readonly hardened: boolean | null;
  } | null;
  /** The user's phone binding was attested (production binding); null: no phone bound. */
  readonly phoneAttested: boolean | null;
  /** The gateway asked for (bootstrap); null when not yet chosen. */
  readonly gateway: string | null;
}

export interface PolicyVerdict {
  readonly allowed: boolean;
  /** The first rule that denied, and its code; null when allowed. */
  readonly deniedBy: PolicyRule | null;
  readonly code: (typeof POLICY_DENIAL_CODES)[PolicyRule] | null;
  /** `policy rule <rule>: <detail>` of that rule, for the error details and the audit event; null when allowed. */
  readonly denial: string | null;
  readonly rules: readonly RuleVerdict[];
}

/** One line naming the rule that denied and why (printable ASCII: the audit event's error_msg). */
function denialText(rule: string, detail: string): string {
  return `policy rule ${rule}: ${detail}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 250);
}

/** The error a denial answers with: its stable code, the rule in the details. */
export function denialError(v: PolicyVerdict): ViworksError {
  return new ViworksError(v.code ?? 'VIW_E_INTERNAL', { details: v.denial ? [v.denial] : [] });
}

const verdict = (rule: PolicyRule, allowed: boolean, detail: string): RuleVerdict => ({
  rule,
  allowed,
  detail,
});

const formats = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minutes since midnight of `at` in IANA zone `tz` (DST-correct through Intl). */
export function localClock(at: Date, tz: string): { day: Weekday; minute: number } {
  let format = formats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(tz, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const previousDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7]!;

/**
 * Whether `at` falls in one of the schedule's windows. A window starts on each of its days at
 * `from`; when `to` ≤ `from` it ends at `to` the next day (22:00–06:00 on fri covers Saturday
 * morning). Local wall-clock time: a window is as long as the clock says, across DST changes.
 */
export function inSchedule(schedule: NonNullable<PolicyDocument['schedule']>, at: Date): boolean {
  const { day, minute } = localClock(at, schedule.time_zone);
  return inWindows(schedule.windows, day, minute);
}

/** Whether the local wall-clock minute `minute` of `day` falls in one of `windows` (see inSchedule). */
export function inWindows(
  windows: NonNullable<PolicyDocument['schedule']>['windows'],
  day: Weekday,
  minute: number,
): boolean {
  return windows.some((w) => {
    const from = minutesOf(w.from);
    const to = minutesOf(w.to);
    if (to > from) return w.days.includes(day) && minute >= from && minute < to;
    // Past midnight: the evening part on the start day, the morning part on the day after.
    return (w.days.includes(day) && minute >= from) || (w.days.includes(previousDay(day)) && minute < to);
  });
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** One pre-release identifier against another (semver §11.4: numbers below words, numerically). */
function compareIdentifiers(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semver precedence (§11): major.minor.patch numerically, then a pre-release ranks below its
 * release; build metadata is ignored. Null when either is not a version.
 */
export function compareVersions(a: string, b: string): number | null {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return null;
  for (let i = 1; i <= 3; i++) if (Number(x[i]) !== Number(y[i])) return Number(x[i]) - Number(y[i]);
  const [px, py] = [x[4], y[4]];
  if (px === undefined || py === undefined) return px === py ? 0 : px === undefined ? 1 : -1;
  const [ix, iy] = [px.split('.'), py.split('.')];
  for (let i = 0; i < Math.min(ix.length, iy.length); i++) {
    const c = compareIdentifiers(ix[i] as string, iy[i] as string);
    if (c !== 0) return c;
  }
  return ix.length - iy.length;
}

function ruleVerdict(rule: PolicyRule, doc: PolicyDocument, f: PolicyFacts): RuleVerdict {
  switch (rule) {
    case 'schedule':
      if (!doc.schedule) return verdict(rule, true, 'no schedule: always');
      return verdict(
        rule,
        inSchedule(doc.schedule, f.at),
        `${describeClock(f.at, doc.schedule.time_zone)} against ${doc.schedule.windows.length} window(s)`,
      );
    case 'geo.country': {
      if (f.country === null) return verdict(rule, true, 'country unknown (see geo.unknown)');
      const g = doc.geo;
      if (g.deny_countries.includes(f.country)) return verdict(rule, false, `${f.country} is denied`);
      if (g.allow_countries.length > 0 && !g.allow_countries.includes(f.country))
        return verdict(rule, false, `${f.country} is not in the allowed countries`);
      return verdict(rule, true, `${f.country} allowed`);
    }
    case 'geo.asn': {
      if (f.asn === null) return verdict(rule, true, 'AS unknown');
      const g = doc.geo;
      if (g.deny_asns.includes(f.asn)) return verdict(rule, false, `AS${f.asn} is denied`);
      if (g.allow_asns.length > 0 && !g.allow_asns.includes(f.asn))
        return verdict(rule, false, `AS${f.asn} is not in the allowed ASNs`);
      return verdict(rule, true, `AS${f.asn} allowed`);
    }
    case 'geo.unknown': {
      // One switch for sources the database cannot place: no country, or no AS when ASNs are listed.
      const missing = f.country === null || (doc.geo.allow_asns.length > 0 && f.asn === null);
      if (!missing) return verdict(rule, true, 'the source is known');
      return verdict(
        rule,
        doc.geo.allow_unknown,
        `the source has no known ${f.country === null ? 'country' : 'AS'}; unknown sources ${doc.geo.allow_unknown ? 'allowed' : 'denied'}`,
      );
    }
    case 'posture.key_protection': {
      if (!f.device) return verdict(rule, true, 'no device given');
      const have = KEY_PROTECTION_ORDER.indexOf(f.device.keyProtection);
      const need = KEY_PROTECTION_ORDER.indexOf(doc.posture.min_key_protection);
      return verdict(
        rule,
        have >= need,
        `device key ${f.device.keyProtection}, policy needs at least ${doc.posture.min_key_protection}`,
      );
    }
    case 'posture.phone_attestation':
      if (!doc.posture.require_phone_attestation) return verdict(rule, true, 'not required');
      return verdict(
        rule,
        f.phoneAttested === true,
        f.phoneAttested ? 'phone attested' : 'no attested phone',
      );
    case 'posture.hardening':
      if (!doc.posture.require_hardening || !f.device) return verdict(rule, true, 'not required');
      return verdict(rule, f.device.hardened === true, f.device.hardened ? 'hardened' : 'not hardened');
    case 'posture.client_version': {
      const min = doc.posture.min_client_version;
      if (!min || !f.device) return verdict(rule, true, 'no minimum');
      const v = f.device.clientVersion;
      const ok = v !== null && (compareVersions(v, min) ?? -1) >= 0;
      return verdict(rule, ok, `client ${v ?? 'unknown'}, policy needs ${min}`);
    }
    case 'gateways':
      if (f.gateway === null || doc.gateways.includes('*')) return verdict(rule, true, 'any gateway');
      return verdict(rule, doc.gateways.includes(f.gateway), `gateway ${f.gateway}`);
  }
}

function describeClock(at: Date, tz: string): string {
  const { day, minute } = localClock(at, tz);
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  const mm = String(minute % 60).padStart(2, '0');
  return `${day} ${hh}:${mm} ${tz}`;
}

export function evaluatePolicy(doc: PolicyDocument, facts: PolicyFacts): PolicyVerdict {
  const rules = POLICY_RULES.map((r) => ruleVerdict(r, doc, facts));
  const denied = rules.find((r) => !r.allowed) ?? null;
  return {
    allowed: denied === null,
    deniedBy: denied?.rule ?? null,
    code: denied ? POLICY_DENIAL_CODES[denied.rule] : null,
    denial: denied ? denialText(denied.rule, denied.detail) : null,
    rules,
  };
}

/** When a schedule next changes its answer after `from` (minute resolution), or null (no schedule / never within 8 days). */
export function nextScheduleChange(doc: PolicyDocument, from: Date): Date | null {
  if (!doc.schedule) return null;
  const now = inSchedule(doc.schedule, from);
  const start = Math.ceil(from.getTime() / 60_000) * 60_000;
  for (let t = start; t <= from.getTime() + 8 * 86_400_000; t += 60_000) {
    if (inSchedule(doc.schedule, new Date(t)) !== now) return new Date(t);
  }
  return null;
}
