// The rule ids alone (no imports), so the settings can validate `disabledRules` without importing
// the rules, which import the settings' type.
/** The rule ids, for validating `detections.disabledRules`. */
export const DETECTION_RULE_IDS = [
  'spa_without_tls',
  'spa_probe_burst',
  'otp_stuffing',
  'tls_fingerprint_unknown',
  'policy_relaxation',
  'ovpn_handshake_burst',
  'dns_leak',
  'pin_roll_stale',
  'pin_mismatch',
] as const;
