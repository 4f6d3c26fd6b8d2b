import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { DETECTION_RULE_IDS, detectionRules } from './rules/index.js';
import { DEFAULT_DETECTION_SETTINGS, parseDetectionSettings } from './settings.js';

const configError = (fn: () => unknown, path: RegExp) =>
  assert.throws(
    fn,
    (err) => isViworksError(err) && err.code === 'VIW_E_CONFIG' && path.test(String(err.details)),
  );

describe('detection settings', () => {
  it('defaults are those of pki-siem §4.6 and validate', () => {
    const s = parseDetectionSettings();
    assert.deepEqual(s, DEFAULT_DETECTION_SETTINGS);
    assert.equal(s.spaWithoutTls.withinS, 60);
    assert.equal(s.otpStuffing.failures, 5);
    assert.equal(s.otpStuffing.distinctAsns, 3);
    assert.equal(s.otpStuffing.windowS, 600);
    assert.equal(s.spaProbeBurst.threshold, 20);
    assert.equal(s.ovpnHandshakeBurst.threshold, 30);
    assert.equal(s.pinRollWindowDays, 14);
  });

  it('merges a partial section over the defaults', () => {
    const s = parseDetectionSettings({ otpStuffing: { failures: 8 }, disabledRules: ['dns_leak'] });
    assert.deepEqual(s.otpStuffing, { failures: 8, distinctAsns: 3, windowS: 600 });
    assert.deepEqual(s.disabledRules, ['dns_leak']);
  });

  it('refuses unknown fields, unknown rule ids and thresholds a sliding window cannot count', () => {
    configError(() => parseDetectionSettings({ otpStuffing: { failures: 5, extra: 1 } }), /otpStuffing/);
    configError(() => parseDetectionSettings({ bogus: true }), /\//);
    configError(() => parseDetectionSettings({ disabledRules: ['no_such_rule'] }), /disabledRules/);
    configError(() => parseDetectionSettings({ spaProbeBurst: { threshold: 1000 } }), /threshold/);
    configError(() => parseDetectionSettings({ otpStuffing: { distinctAsns: 1 } }), /distinctAsns/);
    configError(() => parseDetectionSettings([]), /\//);
  });

  it('every rule id is listed once and is a valid audit action suffix', () => {
    const ids = detectionRules(DEFAULT_DETECTION_SETTINGS).map((r) => r.id);
    assert.deepEqual(ids, [...DETECTION_RULE_IDS]);
    for (const id of ids) assert.match(`alert.${id}`, /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
  });
});
