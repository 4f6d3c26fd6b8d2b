// What the Devices page says of a device's declared posture (issue #17): the same judgement as the
// access policy's (core/api/posture.ts postureFindings, in step with the backend's isHardened), in
// words an administrator reads without docs/cli.md#process-hardening open.
import type { DeviceViewT } from '../../../../../core/api/admin.js';
import { type PostureFinding, postureFindings } from '../../../../../core/api/posture.js';

const FINDING_WORDS: Readonly<Record<PostureFinding, string>> = {
  dumpable: 'dumpable',
  core_limit: 'core dumps allowed',
  new_privs: 'new privileges allowed',
  tracer: 'debugger attached',
};

export interface PostureLabel {
  readonly tone: 'ok' | 'warn' | 'none';
  readonly text: string;
  /** Every declared value, for the hover (memory locking included, which no verdict judges). */
  readonly detail: string | null;
}

export function postureLabel(posture: DeviceViewT['posture']): PostureLabel {
  if (posture === null) return { tone: 'none', text: 'not reported', detail: null };
  const findings = postureFindings(posture);
  const detail =
    `dumpable=${posture.dumpable} core_limit_zero=${posture.core_limit_zero} mlock=${posture.mlock} ` +
    `no_new_privs=${posture.no_new_privs} tracer=${posture.tracer}`;
  return findings.length === 0
    ? { tone: 'ok', text: 'OK', detail }
    : { tone: 'warn', text: findings.map((f) => FINDING_WORDS[f]).join(', '), detail };
}
