// Wire contract of the backend's admin API (/admin/*), shared by the server and the `viworks admin`
// CLI: the role → permission matrix, and every request/response schema. Objects are closed; values
// are explicit strings; times are ISO-8601 UTC. See docs/admin-api.md.

import { type Static, type TSchema, Type } from 'typebox';
import { AuditEventSchema } from '../audit/event.js';
import { Password as AnyPassword, closed, NewPassword, OtpCode, Username } from './common.js';
import { KEY_PROTECTIONS } from './device.js';
import { ProcessPostureSchema } from './posture.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

// ── Roles and permissions: the one table the server enforces ────────────────────────────────────
export const USER_ROLES = ['Admin', 'Operator', 'Auditor', 'User'] as const;
/** Roles that may use the admin API at all (`User` never can). */
export const ADMIN_ROLES = ['Admin', 'Operator', 'Auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export type AdminRole = (typeof ADMIN_ROLES)[number];

export const ADMIN_PERMISSIONS = [
  'users:read',
  'users:write',
  'devices:read',
  'devices:write',
  'bindcodes:write',
  'tokens:read',
  'tokens:write',
  'sessions:read',
  'sessions:terminate',
  'audit:read',
  'gateways:read',
  'gateways:write',
  'policies:read',
  'policies:write',
  'alerts:read',
  'alerts:ack',
] as const;
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<AdminRole, readonly AdminPermission[]>> = {
  Admin: ADMIN_PERMISSIONS,
  Operator: [
    'users:read',
    'devices:read',
    'devices:write',
    'bindcodes:write',
    'tokens:read',
    'tokens:write',
    'sessions:read',
    'sessions:terminate',
    // Operators see gateways and their health; registering and provisioning nodes is Admin only.
    'gateways:read',
    // Operators read policies and groups and run `explain` (why is this user denied?); writing
    // them, and approving another administrator's relaxation, is Admin only (docs/policies.md).
    'policies:read',
    // The SOC's first line: sees the detections' alerts and acknowledges them.
    'alerts:read',
    'alerts:ack',
  ],
  Auditor: [
    'users:read',
    'devices:read',
    'tokens:read',
    'sessions:read',
    'audit:read',
    'policies:read',
    'alerts:read',
  ],
};

/** What a route declares: a permission from the matrix, `self` (any admin session, also during
 * first-login setup: own password, TOTP, logout) or `public` (login only). */
export type RoutePermission = AdminPermission | 'self' | 'public';

export function roleAllows(role: UserRole, permission: AdminPermission): boolean {
  return role !== 'User' && ROLE_PERMISSIONS[role].includes(permission);
}

// ── Primitives ──────────────────────────────────────────────────────────────────────────────────
export const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
/** Names in responses, as stored: printable ASCII. Every request (create, login) takes the one
 * `Username` rule of core/api/common.ts; replies stay lenient so a row written by hand still lists. */
const StoredUsername = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' });
/** TOTP codes follow the one code rule (common.ts). */
export const TotpCode = OtpCode;
const IsoTime = Type.String({
  maxLength: 30,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
});
const Pseudonym = Type.String({ pattern: '^u-[0-9a-f]{24}$' });
const Role = Type.Enum(USER_ROLES);
const Count = Type.Integer({ minimum: 0 });
/** Query strings are not coerced: numbers and booleans arrive as patterned strings. */
const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' });
const Cursor = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });
const Paging = { cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) };
export const DEFAULT_PAGE = 50;

export const EmptyBody = Type.Object({}, closed);
export const IdParams = Type.Object({ id: Id }, closed);

// ── Authentication and first-login setup ────────────────────────────────────────────────────────
export const SETUP_STEPS = ['password_change', 'totp_enroll'] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export const LoginBody = Type.Object(
  { username: Username, password: AnyPassword, totp: Type.Optional(TotpCode) },
  closed,
);
/** Login, password change and TOTP confirm all answer with the caller's next state:
 * `ok` (full session token), `setup_required` (restricted token; finish `required`), or
 * `login_required` (setup finished: log in again with password + TOTP). */
export const AuthReply = Type.Object(
  {
    state: Type.Enum(['ok', 'setup_required', 'login_required']),
    token: Type.Optional(Type.String()),
    expires_at: Type.Optional(IsoTime),
    idle_timeout_s: Type.Optional(Count),
    username: StoredUsername,
    role: Role,
    permissions: Type.Array(Type.Enum(ADMIN_PERMISSIONS)),
    required: Type.Array(Type.Enum(SETUP_STEPS)),
  },
  closed,
);
export const MeReply = Type.Object(
  {
    username: StoredUsername,
    role: Role,
    pseudonym: Pseudonym,
    scope: Type.Enum(['full', 'setup']),
    permissions: Type.Array(Type.Enum(ADMIN_PERMISSIONS)),
    required: Type.Array(Type.Enum(SETUP_STEPS)),
    expires_at: IsoTime,
  },
  closed,
);
export const PasswordChangeBody = Type.Object(
  { current_password: AnyPassword, new_password: NewPassword },
  closed,
);
export const TotpEnrollReply = Type.Object(
  {
    secret: Type.String({ pattern: '^[A-Z2-7]+$' }),
    otpauth_uri: Type.String(),
    algorithm: Type.Literal('SHA1'),
    digits: Type.Literal(6),
    period_s: Type.Literal(30),
  },
  closed,
);
export const TotpConfirmBody = Type.Object({ code: TotpCode }, closed);

// ── Users and phone bind codes ──────────────────────────────────────────────────────────────────
export const UserView = Type.Object(
  {
    id: Id,
    username: StoredUsername,
    role: Role,
    pseudonym: Pseudonym,
    locked: Type.Boolean(),
    locked_until: Nullable(IsoTime),
    must_change_password: Type.Boolean(),
    totp_enrolled: Type.Boolean(),
    last_login_at: Nullable(IsoTime),
    created_at: IsoTime,
  },
  closed,
);
export const CreateUserBody = Type.Object({ username: Username, role: Role }, closed);
export const UserWithPasswordReply = Type.Object(
  { user: UserView, one_time_password: Type.String() },
  closed,
);
export const ListUsersQuery = Type.Object(
  { ...Paging, role: Type.Optional(Role), locked: Type.Optional(Type.Enum(['true', 'false'])) },
  closed,
);
export const ListUsersReply = Type.Object(
  { users: Type.Array(UserView), next_cursor: Nullable(Cursor) },
  closed,
);
export const UserActionReply = Type.Object({ user: UserView, ended_sessions: Count }, closed);
/** Reset: the new one-time password (shown once) and how many VPN sessions of the user it ended. */
export const ResetPasswordReply = Type.Object(
  { user: UserView, one_time_password: Type.String(), ended_sessions: Count },
  closed,
);
export const ResetPasswordBody = Type.Object({ reset_totp: Type.Optional(Type.Boolean()) }, closed);
export const BindCodeReply = Type.Object(
  {
    code: Type.String(),
    expires_at: IsoTime,
    /** The phone app's bind link (the code in its fragment), for a QR code or a message to the user. */
    bind_url: Type.String({ maxLength: 400, pattern: '^https://' }),
  },
  closed,
);

// ── Desktop devices ─────────────────────────────────────────────────────────────────────────────
export const DEVICE_STATUSES = ['pending_approval', 'active', 'revoked'] as const;
export const DeviceView = Type.Object(
  {
    id: Id,
    user_id: Id,
    username: StoredUsername,
    fingerprint: Type.String(),
    platform: Type.String(),
    client_version: Type.String(),
    key_protection: Type.Enum(KEY_PROTECTIONS),
    status: Type.Enum(DEVICE_STATUSES),
    enrollment_token_id: Nullable(Id),
    created_at: IsoTime,
    approved_at: Nullable(IsoTime),
    revoked_at: Nullable(IsoTime),
    /** The daemon's hardening as declared at the device's last completed login; null: none declared. */
    posture: Nullable(ProcessPostureSchema),
    /** The posture judged as the access policy judges it (isHardened); null with posture null. */
    hardened: Nullable(Type.Boolean()),
    /** When the last login from this device completed; null: none recorded. */
    last_login_at: Nullable(IsoTime),
  },
  closed,
);
export const ListDevicesQuery = Type.Object(
  { ...Paging, user_id: Type.Optional(Id), status: Type.Optional(Type.Enum(DEVICE_STATUSES)) },
  closed,
);
export const ListDevicesReply = Type.Object(
  { devices: Type.Array(DeviceView), next_cursor: Nullable(Cursor) },
  closed,
);
export const DeviceActionReply = Type.Object({ device: DeviceView, ended_sessions: Count }, closed);

// ── Enrollment tokens ───────────────────────────────────────────────────────────────────────────
export const TOKEN_STATES = ['valid', 'used_up', 'expired', 'revoked'] as const;
export const MAX_TOKEN_LIFETIME_S = 30 * 86400;
const Tag = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' });
export const EnrollmentTokenView = Type.Object(
  {
    id: Id,
    state: Type.Enum(TOKEN_STATES),
    max_uses: Count,
    uses: Count,
    expires_at: IsoTime,
    tags: Type.Array(Tag),
    auto_approve: Type.Boolean(),
    created_by: Id,
    created_at: IsoTime,
    revoked_at: Nullable(IsoTime),
  },
  closed,
);
/** Exactly one of expires_in_s and expires_at (checked by the service). */
export const CreateEnrollmentTokenBody = Type.Object(
  {
    max_uses: Type.Integer({ minimum: 1, maximum: 10_000 }),
    expires_in_s: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_TOKEN_LIFETIME_S })),
    expires_at: Type.Optional(IsoTime),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 16, uniqueItems: true })),
    auto_approve: Type.Optional(Type.Boolean()),
  },
  closed,
);
export const CreateEnrollmentTokenReply = Type.Object(
  { token: Type.String(), enrollment_token: EnrollmentTokenView },
  closed,
);
export const ListEnrollmentTokensQuery = Type.Object(
  { ...Paging, state: Type.Optional(Type.Enum(TOKEN_STATES)) },
  closed,
);
export const ListEnrollmentTokensReply = Type.Object(
  { enrollment_tokens: Type.Array(EnrollmentTokenView), next_cursor: Nullable(Cursor) },
  closed,
);
export const EnrollmentTokenReply = Type.Object({ enrollment_token: EnrollmentTokenView }, closed);

// ── VPN sessions ────────────────────────────────────────────────────────────────────────────────
export const SessionView = Type.Object(
  {
    id: Id,
    state: Type.Enum(['live', 'ended']),
    user_id: Id,
    username: StoredUsername,
    device_id: Id,
    gateway_id: Id,
    gateway_name: Type.String(),
    created_at: IsoTime,
    expires_at: IsoTime,
    last_heartbeat_at: Nullable(IsoTime),
    ended_at: Nullable(IsoTime),
    end_reason: Nullable(Type.String()),
  },
  closed,
);
export const ListSessionsQuery = Type.Object(
  {
    ...Paging,
    state: Type.Optional(Type.Enum(['live', 'ended', 'all'])),
    user_id: Type.Optional(Id),
    device_id: Type.Optional(Id),
  },
  closed,
);
export const ListSessionsReply = Type.Object(
  { sessions: Type.Array(SessionView), next_cursor: Nullable(Cursor) },
  closed,
);
export const SessionReply = Type.Object({ session: SessionView }, closed);

// ── Audit ───────────────────────────────────────────────────────────────────────────────────────
export const AuditQuery = Type.Object(
  {
    ...Paging,
    order: Type.Optional(Type.Enum(['asc', 'desc'])),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    action_prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_.]*$' })),
    result: Type.Optional(Type.Enum(['success', 'failure', 'denied', 'error'])),
    /** Pseudonym of the user the event is about (`user_id`). */
    user_id: Type.Optional(Pseudonym),
    /** Pseudonym of the acting administrator (admin events carry it in `cmd`). */
    actor: Type.Optional(Pseudonym),
    session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_.:-]+$' })),
    /** Id of the desktop device the event is about (`device_id`). */
    device_id: Type.Optional(Id),
  },
  closed,
);
export const AuditRecordView = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), hash: Type.String(), event: AuditEventSchema },
  closed,
);
export const AuditQueryReply = Type.Object(
  { events: Type.Array(AuditRecordView), next_cursor: Nullable(Cursor) },
  closed,
);

export type AuthReplyT = Static<typeof AuthReply>;
export type UserViewT = Static<typeof UserView>;
export type DeviceViewT = Static<typeof DeviceView>;
export type EnrollmentTokenViewT = Static<typeof EnrollmentTokenView>;
export type SessionViewT = Static<typeof SessionView>;
export type AuditRecordViewT = Static<typeof AuditRecordView>;
export type ListUsersQueryT = Static<typeof ListUsersQuery>;
export type ListDevicesQueryT = Static<typeof ListDevicesQuery>;
export type ListEnrollmentTokensQueryT = Static<typeof ListEnrollmentTokensQuery>;
export type ListSessionsQueryT = Static<typeof ListSessionsQuery>;
export type AuditQueryT = Static<typeof AuditQuery>;
export type CreateEnrollmentTokenBodyT = Static<typeof CreateEnrollmentTokenBody>;
