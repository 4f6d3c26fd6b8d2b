// The documented result of every `viworks admin …` command (`{v: 1, …}`, what --json prints). Most
// are the admin API's reply (core/api/admin.ts) with the version added; none carries the admin
// session token. Secrets the API shows once (a new user's one-time password, an enrollment token)
// appear only in the result of the command that created them.
import { type Static, Type } from 'typebox';
import {
  ADMIN_PERMISSIONS,
  AuditQueryReply,
  BindCodeReply,
  CreateEnrollmentTokenReply,
  DeviceActionReply,
  EnrollmentTokenReply,
  ListDevicesReply,
  ListEnrollmentTokensReply,
  ListSessionsReply,
  ListUsersReply,
  ResetPasswordReply,
  SessionReply,
  USER_ROLES,
  UserActionReply,
  UserWithPasswordReply,
} from '../../core/api/admin.js';
import { closed } from '../../core/schema/strict.js';
import { v1 } from './results.js';

/** `viworks admin login`: who is logged in, until when, and where the token was stored. */
export const AdminLoginResultSchema = v1({
  username: Type.String(),
  role: Type.Enum(USER_ROLES),
  permissions: Type.Array(Type.Enum(ADMIN_PERMISSIONS)),
  expires_at: Type.String(),
  idle_timeout_s: Type.Union([Type.Integer(), Type.Null()]),
  backend_url: Type.String(),
  token_store: Type.Enum(['keyring', 'file']),
  /** What the first-login setup did in this run. */
  setup: Type.Object({ password_changed: Type.Boolean(), totp_enrolled: Type.Boolean() }, closed),
});
export type AdminLoginResult = Static<typeof AdminLoginResultSchema>;

/** `viworks admin logout`: false when there was no session to end. */
export const AdminLogoutResultSchema = v1({ logged_out: Type.Boolean() });
export type AdminLogoutResult = Static<typeof AdminLogoutResultSchema>;

export const AdminUsersListResultSchema = v1(ListUsersReply.properties);
export type AdminUsersListResult = Static<typeof AdminUsersListResultSchema>;
/** `users create`: the new user and the one-time password (shown once; changed at first login). */
export const AdminUsersCreateResultSchema = v1(UserWithPasswordReply.properties);
export type AdminUsersCreateResult = Static<typeof AdminUsersCreateResultSchema>;
/** `users lock` and `users unlock`. */
export const AdminUserActionResultSchema = v1(UserActionReply.properties);
export type AdminUserActionResult = Static<typeof AdminUserActionResultSchema>;
/** `users reset`: a new one-time password (shown once); live VPN sessions of the user ended. */
export const AdminUsersResetResultSchema = v1(ResetPasswordReply.properties);
export const AdminUsersBindCodeResultSchema = v1(BindCodeReply.properties);
export type AdminUsersBindCodeResult = Static<typeof AdminUsersBindCodeResultSchema>;
export type AdminUsersResetResult = Static<typeof AdminUsersResetResultSchema>;

export const AdminDevicesListResultSchema = v1(ListDevicesReply.properties);
export type AdminDevicesListResult = Static<typeof AdminDevicesListResultSchema>;
/** `devices approve` and `devices unbind`. */
export const AdminDeviceActionResultSchema = v1(DeviceActionReply.properties);
export type AdminDeviceActionResult = Static<typeof AdminDeviceActionResultSchema>;

/**
 * `enrollment-tokens create`: with `--out FILE` the token is written there (0600) and `token` is null;
 * otherwise `token` is the secret itself, shown this once.
 */
export const AdminTokenCreateResultSchema = v1({
  token: Type.Union([Type.String(), Type.Null()]),
  token_file: Type.Union([Type.String(), Type.Null()]),
  enrollment_token: CreateEnrollmentTokenReply.properties.enrollment_token,
});
export type AdminTokenCreateResult = Static<typeof AdminTokenCreateResultSchema>;
export const AdminTokensListResultSchema = v1(ListEnrollmentTokensReply.properties);
export type AdminTokensListResult = Static<typeof AdminTokensListResultSchema>;
export const AdminTokenRevokeResultSchema = v1(EnrollmentTokenReply.properties);
export type AdminTokenRevokeResult = Static<typeof AdminTokenRevokeResultSchema>;

export const AdminSessionsListResultSchema = v1(ListSessionsReply.properties);
export type AdminSessionsListResult = Static<typeof AdminSessionsListResultSchema>;
export const AdminSessionTerminateResultSchema = v1(SessionReply.properties);
export type AdminSessionTerminateResult = Static<typeof AdminSessionTerminateResultSchema>;

export const AdminAuditQueryResultSchema = v1(AuditQueryReply.properties);
export type AdminAuditQueryResult = Static<typeof AdminAuditQueryResultSchema>;
