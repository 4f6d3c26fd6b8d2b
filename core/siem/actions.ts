// What kind of activity each audit action is, for the two schemas that classify events: the OCSF
// class and activity (siem/ocsf/mapping.json) and the ECS event.category / event.type pair
// (siem/ecs/mapping.json). Known actions are listed one by one (docs/admin-api.md "Audit events",
// server/services/*); an unknown action falls back on its prefix, then on OCSF Base Event. The
// classification is derived from the action alone, so a document's class is checked, never trusted,
// when it is read back (fromSiemDocument).

/** OCSF 1.8 classes we emit: Base Event, Account Change, Authentication, Tunnel Activity, API Activity. */
export const OCSF_CLASS_UIDS = [0, 3001, 3002, 4014, 6003] as const;
export type OcsfClassUid = (typeof OCSF_CLASS_UIDS)[number];

/** ECS 8.17 event.category values we use (all from the ECS allowed-values list). */
export type EcsCategory = 'authentication' | 'iam' | 'session' | 'api';
/** ECS 8.17 event.type values we use, each among those ECS expects for its category. */
export type EcsType = 'start' | 'end' | 'info' | 'user' | 'change' | 'creation' | 'deletion' | 'denied';

export interface ActionClass {
  readonly classUid: OcsfClassUid;
  readonly activityId: number;
  /** Empty for events ECS has no category for (gateway commands, PKI, desktop reports). */
  readonly ecsCategory: readonly EcsCategory[];
  readonly ecsType: readonly EcsType[];
}

const cls = (
  classUid: OcsfClassUid,
  activityId: number,
  ecsCategory: readonly EcsCategory[],
  ecsType: readonly EcsType[],
): ActionClass => ({ classUid, activityId, ecsCategory, ecsType });

const LOGON = cls(3002, 1, ['authentication'], ['start']);
const LOGOFF = cls(3002, 2, ['authentication'], ['end']);
const AUTH_OTHER = cls(3002, 99, ['authentication'], ['info']);
const account = (activityId: number, type: EcsType = 'change') =>
  cls(3001, activityId, ['iam'], ['user', type]);
const TUNNEL_OPEN = cls(4014, 1, ['session'], ['start']);
const TUNNEL_CLOSE = cls(4014, 2, ['session'], ['end']);
const TUNNEL_OTHER = cls(4014, 99, ['session'], ['info']);
const API_CREATE = cls(6003, 1, ['api'], ['creation']);
const API_UPDATE = cls(6003, 3, ['api'], ['change']);
const API_DELETE = cls(6003, 4, ['api'], ['deletion']);
const API_OTHER = cls(6003, 99, ['api'], ['info']);
const BASE = cls(0, 99, [], []);

/** Actions by name. OCSF activity ids: Account Change 1 Create, 3 Password Change, 4 Password Reset, 9 Lock, 10/11 MFA Factor Enable/Disable, 12 Unlock. */
export const ACTION_CLASSES: Readonly<Record<string, ActionClass>> = {
  'auth.login': LOGON,
  'auth.otp_verify': LOGON,
  'auth.otp_deny': LOGON,
  'admin.login': LOGON,
  'admin.logout': LOGOFF,
  'mobile.otp_fetch': AUTH_OTHER,
  'mobile.otp_reveal': AUTH_OTHER,
  'auth.password_change': account(3),
  'admin.password_change': account(3),
  'admin.user_password_reset': account(4),
  'admin.user_create': account(1, 'creation'),
  'admin.first_admin_create': account(1, 'creation'),
  'auth.lockout': account(9),
  'admin.account_lockout': account(9),
  'admin.user_lock': account(9),
  'admin.user_unlock': account(12),
  'admin.totp_enroll': account(99),
  'admin.totp_confirm': account(10),
  'mobile.bind': account(10),
  'admin.user_totp_reset': account(11),
  'mobile.unbind': account(11),
  'bootstrap.issue': TUNNEL_OPEN,
  'session.end': TUNNEL_CLOSE,
  'policy.session_end': TUNNEL_CLOSE,
  'policy.session_update': TUNNEL_OTHER,
  // The gateway's data plane (issue #16): the OpenVPN tunnel itself opening and closing.
  'ovpn.connect': TUNNEL_OPEN,
  'ovpn.disconnect': TUNNEL_CLOSE,
  'admin.access_denied': cls(6003, 99, ['api'], ['denied']),
  'admin.bind_code_issue': API_CREATE,
  'admin.enroll_token_create': API_CREATE,
  'admin.gateway_add': API_CREATE,
  'group.created': API_CREATE,
  'policy.created': API_CREATE,
  'policy.version_created': API_CREATE,
  'admin.device_approve': API_UPDATE,
  'admin.gateway_provision': API_UPDATE,
  'group.member_added': API_UPDATE,
  'group.member_removed': API_UPDATE,
  'policy.relaxation_requested': API_UPDATE,
  'policy.relaxation_approved': API_UPDATE,
  'policy.relaxation_rejected': API_UPDATE,
  'policy.relaxation_expired': API_UPDATE,
  'admin.device_unbind': API_DELETE,
  'admin.enroll_token_revoke': API_DELETE,
  'admin.session_terminate': API_DELETE,
  'group.deleted': API_DELETE,
};

/** Actions not listed above, by the part before the first dot. */
export const PREFIX_CLASSES: Readonly<Record<string, ActionClass>> = {
  auth: AUTH_OTHER,
  session: TUNNEL_OTHER,
  /** ovpn.handshake_failed and any later tunnel event of the gateway. */
  ovpn: TUNNEL_OTHER,
  admin: API_OTHER,
  group: API_OTHER,
  policy: API_OTHER,
};

export const DEFAULT_CLASS: ActionClass = BASE;

export function classifyAction(action: string): ActionClass {
  if (Object.hasOwn(ACTION_CLASSES, action)) return ACTION_CLASSES[action]!;
  const prefix = action.slice(0, action.indexOf('.'));
  if (Object.hasOwn(PREFIX_CLASSES, prefix)) return PREFIX_CLASSES[prefix]!;
  return DEFAULT_CLASS;
}
