// Credential stuffing through VPN exits (pki-siem §4.6, architecture §9.2): one account's OTP step
// failing from several autonomous systems within minutes. Counted: auth.otp_verify with result
// `failure` (a wrong or expired code). Not counted: `denied` (a phone's refusal or a lock, which
// follow from the failures rather than add to them) and auth.otp_deny, which the PHONE sends, so
// its address and AS are the phone's and would mix the user's own carrier into the attacker's count.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

export function otpStuffing(s: DetectionSettings): DetectionRule {
  const { failures, distinctAsns, windowS } = s.otpStuffing;
  return {
    id: 'otp_stuffing',
    title: 'OTP failures for one user from several autonomous systems',
    description:
      `At least ${failures} failed OTP verifications (auth.otp_verify, result failure) for the same user ` +
      `from at least ${distinctAsns} distinct source autonomous systems (asn) within ${windowS / 60} min: ` +
      'credential stuffing through VPN or proxy exits by someone who already has the password. ' +
      'Events without an AS count as one value, "unknown".',
    severity: 'error',
    key: ['user_id'],
    shape: {
      kind: 'count_distinct',
      select: { action: ['auth.otp_verify'], result: ['failure'], present: ['user_id'] },
      threshold: failures,
      distinct: { field: 'asn', atLeast: distinctAsns },
      windowMs: windowS * 1000,
    },
    falsePositives: ['A traveller on a mobile network that hops between carriers, mistyping codes'],
    summary: (f) =>
      `${f.count} OTP failures for user ${f.keyValues.user_id ?? '?'} from ${f.distinct} autonomous systems ` +
      `within ${windowS / 60} min`,
  };
}
