// The detection engine's knobs (docs/detections.md): one closed section, every number bounded, the
// defaults those of pki-siem §4.6 / architecture §9.2. The lead wires it into server/config.ts as
// `detections` (defaults < file < environment, like the other sections); `parseDetectionSettings`
// is what a partial section from a file goes through.
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import { WINDOW_MAX_HITS } from '../../kv/kv-store.js';
import { DETECTION_RULE_IDS } from './rules/ids.js';

const Seconds = (max: number) => Type.Integer({ minimum: 1, maximum: max });
/** A count threshold: a sliding window keeps at most WINDOW_MAX_HITS hits, so it stays below that. */
const Threshold = Type.Integer({ minimum: 1, maximum: WINDOW_MAX_HITS - 1 });
const DAY_S = 86_400;

export const DetectionSettingsSchema = Type.Object(
  {
    /** Off: no rule runs (the audit stream is unaffected). */
    enabled: Type.Boolean(),
    /** Rule ids that do not run (`otp_stuffing`, …); an unknown id stops the start. */
    disabledRules: Type.Array(Type.Enum(DETECTION_RULE_IDS), { maxItems: DETECTION_RULE_IDS.length }),
    spaWithoutTls: Type.Object(
      {
        /** A TLS handshake from the SPA's source at its gateway within this long is the follow-up. */
        withinS: Seconds(3600),
        /**
         * Data-plane events arrive in batches, once per gateway poll: the check waits this much
         * longer than `withinS`, and a handshake stamped up to this much late still counts. At least
         * the gateway poll interval (gatewayPollIntervalS, default 30).
         */
        ingestLagS: Type.Integer({ minimum: 0, maximum: 3600 }),
        /** SPAs waiting for their deadline in one instance; beyond it the oldest wait is dropped (counted). */
        maxPending: Type.Integer({ minimum: 100, maximum: 1_000_000 }),
      },
      closed,
    ),
    spaProbeBurst: Type.Object({ threshold: Threshold, windowS: Seconds(3600) }, closed),
    otpStuffing: Type.Object(
      {
        failures: Threshold,
        distinctAsns: Type.Integer({ minimum: 2, maximum: 100 }),
        windowS: Seconds(DAY_S),
      },
      closed,
    ),
    tlsFingerprint: Type.Object({ dedupeS: Seconds(DAY_S) }, closed),
    ovpnHandshakeBurst: Type.Object({ threshold: Threshold, windowS: Seconds(3600) }, closed),
    dnsLeak: Type.Object({ dedupeS: Seconds(DAY_S) }, closed),
    pinRoll: Type.Object({ staleDedupeS: Seconds(7 * DAY_S), mismatchDedupeS: Seconds(DAY_S) }, closed),
    /**
     * How long after a pin roll a client may still present the retired pin before its login records
     * `client.pin_stale` (server/services/device/, pki-siem §4.2).
     */
    pinRollWindowDays: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  closed,
);

export type DetectionSettings = Static<typeof DetectionSettingsSchema>;

export const DEFAULT_DETECTION_SETTINGS: DetectionSettings = {
  enabled: true,
  disabledRules: [],
  spaWithoutTls: { withinS: 60, ingestLagS: 45, maxPending: 10_000 },
  spaProbeBurst: { threshold: 20, windowS: 60 },
  otpStuffing: { failures: 5, distinctAsns: 3, windowS: 600 },
  tlsFingerprint: { dedupeS: 600 },
  ovpnHandshakeBurst: { threshold: 30, windowS: 60 },
  dnsLeak: { dedupeS: 3600 },
  pinRoll: { staleDedupeS: DAY_S, mismatchDedupeS: 600 },
  pinRollWindowDays: 14,
};

const validator = strictValidator(DetectionSettingsSchema);

const isSection = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `overrides` over `base`, one level deep: a section given in part keeps the rest of the base's
 * (the config file's `detections` section and the tests' settings both merge this way). Unvalidated.
 */
export function mergeDetectionSettings(base: object, overrides: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const current = merged[k];
    merged[k] = isSection(current) && isSection(v) ? { ...current, ...v } : v;
  }
  return merged;
}

/**
 * The defaults with `overrides` merged in, one level deep (a section given in part keeps the
 * defaults of the rest). Throws VIW_E_CONFIG naming the bad paths.
 */
export function parseDetectionSettings(overrides: unknown = {}): DetectionSettings {
  const given = overrides ?? {};
  if (!isSection(given)) return validator.parse(given, 'VIW_E_CONFIG');
  return validator.parse(mergeDetectionSettings(DEFAULT_DETECTION_SETTINGS, given), 'VIW_E_CONFIG');
}
