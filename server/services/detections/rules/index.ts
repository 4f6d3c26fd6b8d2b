// Every detection rule, built from the settings (docs/detections.md lists them).
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';
import { dnsLeak } from './dns-leak.js';
import { otpStuffing } from './otp-stuffing.js';
import { ovpnHandshakeBurst } from './ovpn-handshake-burst.js';
import { pinMismatch } from './pin-mismatch.js';
import { pinRollStale } from './pin-roll-stale.js';
import { policyRelaxation } from './policy-relaxation.js';
import { spaProbeBurst } from './spa-probe-burst.js';
import { spaWithoutTls } from './spa-without-tls.js';
import { tlsFingerprintUnknown } from './tls-fingerprint-unknown.js';

export function detectionRules(s: DetectionSettings): DetectionRule[] {
  return [
    spaWithoutTls(s),
    spaProbeBurst(s),
    otpStuffing(s),
    tlsFingerprintUnknown(s),
    policyRelaxation(),
    ovpnHandshakeBurst(s),
    dnsLeak(s),
    pinRollStale(s),
    pinMismatch(s),
  ];
}

export { DETECTION_RULE_IDS } from './ids.js';
