// The one table of the backend's HTTP API: every route's method, path, who may call it, and its
// request and response schemas. The server registers its routes from it (server/http/route-table.ts:
// start-up fails on a route without a handler, a handler without a route, or a duplicate), the
// OpenAPI document is generated from the routes registered that way, and every client — the daemon,
// the CLI's admin commands, the phone (simulator), later the admin panel — calls the backend through
// it (core/backendclient). No backend URL path is typed anywhere else.
//
// Versioning: a route's meaning never changes once released; a breaking change is a new route
// (e.g. `/v2/...`) beside the old one. AUTH_API_VERSION (core/api/auth.ts) versions the login flow.
import { type TSchema, Type } from 'typebox';
import {
  AuditQuery,
  AuditQueryReply,
  AuthReply,
  BindCodeReply,
  CreateEnrollmentTokenBody,
  CreateEnrollmentTokenReply,
  CreateUserBody,
  DeviceActionReply,
  EmptyBody,
  EnrollmentTokenReply,
  IdParams,
  ListDevicesQuery,
  ListDevicesReply,
  ListEnrollmentTokensQuery,
  ListEnrollmentTokensReply,
  ListSessionsQuery,
  ListSessionsReply,
  ListUsersQuery,
  ListUsersReply,
  LoginBody,
  MeReply,
  PasswordChangeBody,
  ResetPasswordBody,
  ResetPasswordReply,
  type RoutePermission,
  SessionReply,
  TotpConfirmBody,
  TotpEnrollReply,
  UserActionReply,
  UserWithPasswordReply,
} from './admin.js';
import { AlertReply, ListAlertsQuery, ListAlertsReply } from './admin-alerts.js';
import { AuditExportQuery, AuditIntegrityReply, AuditVerificationView } from './admin-audit.js';
import {
  AddGatewayBody,
  ControlKeyReply,
  GatewayHealthReply,
  GatewayNameParams,
  GatewayViewReply,
  ListGatewaysReply,
  ProvisionGatewayReply,
} from './admin-gateways.js';
import { OverviewReply } from './admin-overview.js';
import { ListPhonesQuery, ListPhonesReply } from './admin-phones.js';
import {
  AddGroupMemberBody,
  AssignmentAppliedReply,
  AssignPolicyBody,
  CreateGroupBody,
  CreatePolicyBody,
  ExplainQuery,
  ExplainReply,
  GroupMemberAppliedReply,
  GroupMemberParams,
  GroupNameParams,
  GroupReply,
  ListGroupsReply,
  ListPoliciesReply,
  ListPolicyChangesQuery,
  ListPolicyChangesReply,
  PendingChangeReply,
  PolicyChangeReply,
  PolicyDiffQuery,
  PolicyDiffReply,
  PolicyNameParams,
  PolicyVersionAppliedReply,
  PolicyVersionParams,
  PolicyVersionReply,
  ShowGroupReply,
  ShowPolicyReply,
  UnassignPolicyBody,
  UpdatePolicyBody,
} from './admin-policies.js';
import { AdminSessionEventsQuery } from './admin-session-events.js';
import {
  LoginRequestSchema,
  LoginResponseSchema,
  PasswordChangeRequestSchema,
  PasswordChangeResponseSchema,
  VerifyReplySchema,
  VerifyRequestSchema,
} from './auth.js';
import {
  BootstrapResponseSchema,
  DisconnectResponseSchema,
  HeartbeatResponseSchema,
  SessionRequestSchema,
} from './client.js';
import { closed } from './common.js';
import {
  EnrollConfirmRequestSchema,
  EnrolledDeviceSchema,
  EnrollOtpRequiredSchema,
  EnrollRequestSchema,
} from './device.js';
import { DeviceSecurityEventAcceptedSchema, DeviceSecurityEventSchema } from './device-events.js';
import {
  BindOptionsRequestSchema,
  BindOptionsResponseSchema,
  BindRequestSchema,
  BindResponseSchema,
  DenyRequestSchema,
  DenyResponseSchema,
  OtpQuerySchema,
  PendingOtpSchema,
  RevealRequestSchema,
  RevealResponseSchema,
} from './mobile.js';

/**
 * Who may call a route:
 * - `anonymous`: anyone (liveness, public PKI);
 * - `device-signed`: a desktop's Ed25519 request signature (enrollment: the new key; login and
 *   security events: the enrolled device's key) — core/crypto/request-signing.ts;
 * - `desktop-bearer`: the access token from POST /auth/verify (`Authorization: Bearer viw_at_…`);
 * - `phone-signed`: the bound phone's request signature (bind: the new phone key);
 * - `{ admin }`: the admin API's guard, with the permission from core/api/admin.ts.
 */
export type RouteCaller =
  | 'anonymous'
  | 'device-signed'
  | 'desktop-bearer'
  | 'phone-signed'
  | { readonly admin: RoutePermission };

export interface BackendRoute {
  readonly method: 'GET' | 'POST';
  /** Full path; `:name` segments are path parameters (named in `params`). */
  readonly path: string;
  readonly caller: RouteCaller;
  readonly summary: string;
  readonly params?: TSchema;
  readonly querystring?: TSchema;
  readonly body?: TSchema;
  /** JSON replies by status. Absent for non-JSON answers (`produces`). */
  readonly response?: Readonly<Record<number, TSchema>>;
  /**
   * What a non-JSON route answers: PEM text, a Server-Sent Events stream, a file of the phone app,
   * or a download streamed to the caller (the audit export: NDJSON or CSV).
   */
  readonly produces?: 'pem' | 'sse' | 'static' | 'download';
  /** Left out of the OpenAPI document (the document itself). */
  readonly hidden?: boolean;
}

export const HealthReply = Type.Object(
  { status: Type.Literal('ok'), version: Type.String({ maxLength: 64 }) },
  closed,
);
/** Routes that take no query parameters still refuse unknown ones. */
export const NoQuery = Type.Object({}, closed);
export const CrlFileParams = Type.Object({ file: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
export const SessionEventsQuery = SessionRequestSchema;
/** A file of the phone app: only names its build lists are served (server/services/phone-app). */
export const PhoneAppFileParams = Type.Object(
  { file: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9.-]*$' }) },
  closed,
);

/** A file of the admin panel's build (server/admin-ui): only names the build wrote are served. */
export const AdminUiFileParams = Type.Object(
  { file: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*\\.(js|css|svg)$' }) },
  closed,
);

const admin = (permission: RoutePermission) => ({ admin: permission }) as const;
const NoContent = Type.Null({ description: 'No pending challenge' });
const NoBody = Type.Null({ description: 'No body' });

export const BACKEND_ROUTES = {
  // ── Liveness and public PKI ──────────────────────────────────────────────────────────────────
  health: {
    method: 'GET',
    path: '/health',
    caller: 'anonymous',
    summary: 'Liveness of the backend',
    response: { 200: HealthReply },
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    caller: 'anonymous',
    summary: 'This API as an OpenAPI 3.1 document',
    hidden: true,
  },
  // ── The phone app (mobile/app), served on the API's origin: WebAuthn binds it to this origin ──
  phoneAppRoot: {
    method: 'GET',
    path: '/phone',
    caller: 'anonymous',
    summary: 'The phone app (redirects to /phone/)',
    querystring: NoQuery,
    produces: 'static',
    hidden: true,
  },
  phoneAppIndex: {
    method: 'GET',
    path: '/phone/',
    caller: 'anonymous',
    summary: "The phone app's page",
    produces: 'static',
    hidden: true,
  },
  phoneAppFile: {
    method: 'GET',
    path: '/phone/:file',
    caller: 'anonymous',
    summary: 'A file of the phone app (script, style, manifest, icons, service worker)',
    params: PhoneAppFileParams,
    querystring: NoQuery,
    produces: 'static',
    hidden: true,
  },
  // ── The admin panel (server/admin-ui), a browser page on the API's origin: same-origin calls ──
  // Only these three paths under /admin are pages; every other /admin path is the admin API.
  adminUiRoot: {
    method: 'GET',
    path: '/admin',
    caller: 'anonymous',
    summary: 'The admin panel (redirects to /admin/)',
    querystring: NoQuery,
    produces: 'static',
    hidden: true,
  },
  adminUiIndex: {
    method: 'GET',
    path: '/admin/',
    caller: 'anonymous',
    summary: "The admin panel's page",
    produces: 'static',
    hidden: true,
  },
  adminUiAsset: {
    method: 'GET',
    path: '/admin/assets/:file',
    caller: 'anonymous',
    summary: 'A file of the admin panel (script, style, icon)',
    params: AdminUiFileParams,
    querystring: NoQuery,
    produces: 'static',
    hidden: true,
  },
  pkiCrl: {
    method: 'GET',
    path: '/pki/crl/:file',
    caller: 'anonymous',
    summary: 'CRL of one intermediate, PEM',
    params: CrlFileParams,
    produces: 'pem',
  },
  pkiCaBundle: {
    method: 'GET',
    path: '/pki/ca.pem',
    caller: 'anonymous',
    summary: 'Root and intermediate certificates, PEM',
    produces: 'pem',
  },

  // ── Desktop enrollment (core/api/device.ts) ──────────────────────────────────────────────────
  deviceEnroll: {
    method: 'POST',
    path: '/device/enroll',
    caller: 'device-signed',
    summary: 'Enroll a desktop: with a fleet token (201) or password + phone code (202, then confirm)',
    body: EnrollRequestSchema,
    response: { 201: EnrolledDeviceSchema, 202: EnrollOtpRequiredSchema },
  },
  deviceEnrollConfirm: {
    method: 'POST',
    path: '/device/enroll/confirm',
    caller: 'device-signed',
    summary: 'Finish a token-less enrollment with the code shown on the bound phone',
    body: EnrollConfirmRequestSchema,
    response: { 201: EnrolledDeviceSchema },
  },

  // ── Desktop login (core/api/auth.ts) ─────────────────────────────────────────────────────────
  authLogin: {
    method: 'POST',
    path: '/auth/login',
    caller: 'device-signed',
    summary: 'Desktop login, step 1: password (answers otp_required, always the same shape)',
    body: LoginRequestSchema,
    response: { 200: LoginResponseSchema },
  },
  authVerify: {
    method: 'POST',
    path: '/auth/verify',
    caller: 'device-signed',
    summary:
      'Desktop login, step 2: the code from the bound phone → access token + bootstrap grant, ' +
      'or a password token when the one-time password must be changed first',
    body: VerifyRequestSchema,
    response: { 200: VerifyReplySchema },
  },
  authPassword: {
    method: 'POST',
    path: '/auth/password',
    caller: 'device-signed',
    summary: 'Replace the one-time password with the token from /auth/verify; then log in again',
    body: PasswordChangeRequestSchema,
    response: { 200: PasswordChangeResponseSchema },
  },

  // ── Desktop security events (core/api/device-events.ts) ──────────────────────────────────────
  deviceSecurityEvent: {
    method: 'POST',
    path: '/device/events',
    caller: 'device-signed',
    summary: 'A security event the desktop detected (DNS/route leak, kill switch) → one audit event',
    body: DeviceSecurityEventSchema,
    response: { 202: DeviceSecurityEventAcceptedSchema },
  },

  // ── The desktop's session (core/api/client.ts) ───────────────────────────────────────────────
  clientBootstrap: {
    method: 'GET',
    path: '/client/bootstrap',
    caller: 'desktop-bearer',
    summary: 'The HPKE-sealed bootstrap for this device (once per login: the grant is one-time)',
    response: { 200: BootstrapResponseSchema },
  },
  clientHeartbeat: {
    method: 'POST',
    path: '/client/heartbeat',
    caller: 'desktop-bearer',
    summary: 'Keeps a session alive; answers VIW_E_SESSION_REVOKED once it has ended',
    body: SessionRequestSchema,
    response: { 200: HeartbeatResponseSchema },
  },
  clientDisconnect: {
    method: 'POST',
    path: '/client/disconnect',
    caller: 'desktop-bearer',
    summary: 'Ends the session (logout) and retires the access token',
    body: SessionRequestSchema,
    response: { 200: DisconnectResponseSchema },
  },
  clientEvents: {
    method: 'GET',
    path: '/client/events',
    caller: 'desktop-bearer',
    summary: 'Server-Sent Events for one session: state first, then revoked (the stream closes)',
    querystring: SessionEventsQuery,
    produces: 'sse',
  },

  // ── The phone (core/api/mobile.ts) ───────────────────────────────────────────────────────────
  mobileBindOptions: {
    method: 'POST',
    path: '/mobile/bind/options',
    caller: 'phone-signed',
    summary: 'The one-time challenge for binding this phone key with this bind code (signed by the new key)',
    body: BindOptionsRequestSchema,
    response: { 200: BindOptionsResponseSchema },
  },
  mobileBind: {
    method: 'POST',
    path: '/mobile/bind',
    caller: 'phone-signed',
    summary: 'Bind a phone to its user with a one-time bind code (signed by the new phone key)',
    body: BindRequestSchema,
    response: { 201: BindResponseSchema },
  },
  mobileOtp: {
    method: 'GET',
    path: '/mobile/otp',
    caller: 'phone-signed',
    summary: "The pending code for the phone's user (204 when none); ?wait=N long-polls up to 25 s",
    querystring: OtpQuerySchema,
    response: { 200: PendingOtpSchema, 204: NoContent },
  },
  mobileOtpReveal: {
    method: 'POST',
    path: '/mobile/otp/reveal',
    caller: 'phone-signed',
    summary: 'The pending code, after the proof its reveal challenge asks for (WebAuthn/App Attest/Play)',
    body: RevealRequestSchema,
    response: { 200: RevealResponseSchema },
  },
  mobileOtpDeny: {
    method: 'POST',
    path: '/mobile/otp/deny',
    caller: 'phone-signed',
    summary: 'Deny a pending login or enrollment from the bound phone',
    body: DenyRequestSchema,
    response: { 200: DenyResponseSchema },
  },

  // ── Admin API: authentication and first-login setup (core/api/admin.ts) ──────────────────────
  adminLogin: {
    method: 'POST',
    path: '/admin/login',
    caller: admin('public'),
    summary: 'Log in (password, plus TOTP once enrolled)',
    body: LoginBody,
    response: { 200: AuthReply },
  },
  adminLogout: {
    method: 'POST',
    path: '/admin/logout',
    caller: admin('self'),
    summary: 'End this admin session',
    body: EmptyBody,
    response: { 204: NoBody },
  },
  adminMe: {
    method: 'GET',
    path: '/admin/me',
    caller: admin('self'),
    summary: 'The calling administrator',
    response: { 200: MeReply },
  },
  adminPassword: {
    method: 'POST',
    path: '/admin/password',
    caller: admin('self'),
    summary: 'Change your own password',
    body: PasswordChangeBody,
    response: { 200: AuthReply },
  },
  adminTotpEnroll: {
    method: 'POST',
    path: '/admin/totp/enroll',
    caller: admin('self'),
    summary: 'Start TOTP enrollment (secret shown once)',
    body: EmptyBody,
    response: { 200: TotpEnrollReply },
  },
  adminTotpConfirm: {
    method: 'POST',
    path: '/admin/totp/confirm',
    caller: admin('self'),
    summary: 'Finish TOTP enrollment with a code',
    body: TotpConfirmBody,
    response: { 200: AuthReply },
  },

  // ── Admin API: users ─────────────────────────────────────────────────────────────────────────
  adminUsersList: {
    method: 'GET',
    path: '/admin/users',
    caller: admin('users:read'),
    summary: 'List users (newest first)',
    querystring: ListUsersQuery,
    response: { 200: ListUsersReply },
  },
  adminUsersCreate: {
    method: 'POST',
    path: '/admin/users',
    caller: admin('users:write'),
    summary: 'Create a user with a one-time password (shown once)',
    body: CreateUserBody,
    response: { 201: UserWithPasswordReply },
  },
  adminUsersLock: {
    method: 'POST',
    path: '/admin/users/:id/lock',
    caller: admin('users:write'),
    summary: 'Lock a user and end their sessions',
    params: IdParams,
    body: EmptyBody,
    response: { 200: UserActionReply },
  },
  adminUsersUnlock: {
    method: 'POST',
    path: '/admin/users/:id/unlock',
    caller: admin('users:write'),
    summary: 'Unlock a user (also a failed-login lockout)',
    params: IdParams,
    body: EmptyBody,
    response: { 200: UserActionReply },
  },
  adminUsersResetPassword: {
    method: 'POST',
    path: '/admin/users/:id/reset-password',
    caller: admin('users:write'),
    summary: 'New one-time password (shown once), ending the user’s sessions; optionally reset TOTP',
    params: IdParams,
    body: ResetPasswordBody,
    response: { 200: ResetPasswordReply },
  },
  adminUsersBindCode: {
    method: 'POST',
    path: '/admin/users/:id/bind-code',
    caller: admin('bindcodes:write'),
    summary: 'One-time phone bind code (shown once)',
    params: IdParams,
    body: EmptyBody,
    response: { 201: BindCodeReply },
  },

  // ── Admin API: devices ───────────────────────────────────────────────────────────────────────
  adminDevicesList: {
    method: 'GET',
    path: '/admin/devices',
    caller: admin('devices:read'),
    summary: 'List desktop devices',
    querystring: ListDevicesQuery,
    response: { 200: ListDevicesReply },
  },
  adminDevicesApprove: {
    method: 'POST',
    path: '/admin/devices/:id/approve',
    caller: admin('devices:write'),
    summary: 'Approve a pending device',
    params: IdParams,
    body: EmptyBody,
    response: { 200: DeviceActionReply },
  },
  adminDevicesUnbind: {
    method: 'POST',
    path: '/admin/devices/:id/unbind',
    caller: admin('devices:write'),
    summary: 'Revoke a device and end its sessions',
    params: IdParams,
    body: EmptyBody,
    response: { 200: DeviceActionReply },
  },

  // ── Admin API: enrollment tokens ─────────────────────────────────────────────────────────────
  adminEnrollmentTokensList: {
    method: 'GET',
    path: '/admin/enrollment-tokens',
    caller: admin('tokens:read'),
    summary: 'List enrollment tokens with their state',
    querystring: ListEnrollmentTokensQuery,
    response: { 200: ListEnrollmentTokensReply },
  },
  adminEnrollmentTokensCreate: {
    method: 'POST',
    path: '/admin/enrollment-tokens',
    caller: admin('tokens:write'),
    summary: 'Create an enrollment token (shown once)',
    body: CreateEnrollmentTokenBody,
    response: { 201: CreateEnrollmentTokenReply },
  },
  adminEnrollmentTokensRevoke: {
    method: 'POST',
    path: '/admin/enrollment-tokens/:id/revoke',
    caller: admin('tokens:write'),
    summary: 'Revoke an enrollment token',
    params: IdParams,
    body: EmptyBody,
    response: { 200: EnrollmentTokenReply },
  },

  // ── Admin API: VPN sessions and audit ────────────────────────────────────────────────────────
  adminSessionsList: {
    method: 'GET',
    path: '/admin/sessions',
    caller: admin('sessions:read'),
    summary: 'List VPN sessions (default: live)',
    querystring: ListSessionsQuery,
    response: { 200: ListSessionsReply },
  },
  adminSessionsTerminate: {
    method: 'POST',
    path: '/admin/sessions/:id/terminate',
    caller: admin('sessions:terminate'),
    summary: 'End a live VPN session now',
    params: IdParams,
    body: EmptyBody,
    response: { 200: SessionReply },
  },
  adminSessionsEvents: {
    method: 'GET',
    path: '/admin/sessions/events',
    caller: admin('sessions:read'),
    summary: 'Server-Sent Events: a session row whenever a VPN session starts, is first heard from, or ends',
    querystring: AdminSessionEventsQuery,
    produces: 'sse',
  },
  adminAudit: {
    method: 'GET',
    path: '/admin/audit',
    caller: admin('audit:read'),
    summary: 'Query audit events (cursor over seq)',
    querystring: AuditQuery,
    response: { 200: AuditQueryReply },
  },
  // ── Admin API: audit export and integrity (core/api/admin-audit.ts, docs/audit.md) ───────────
  adminAuditExport: {
    method: 'GET',
    path: '/admin/audit/export',
    caller: admin('audit:read'),
    summary: 'The events /admin/audit would list, oldest first, as one NDJSON or CSV download (capped rows)',
    querystring: AuditExportQuery,
    produces: 'download',
  },
  adminAuditIntegrity: {
    method: 'GET',
    path: '/admin/audit/integrity',
    caller: admin('audit:read'),
    summary: 'The newest sealed batch and checkpoint, the chain head, and the last verification',
    querystring: NoQuery,
    response: { 200: AuditIntegrityReply },
  },
  adminAuditVerify: {
    method: 'POST',
    path: '/admin/audit/verify',
    caller: admin('audit:read'),
    summary: 'Run the audit verifier over the database against the signed manifests (rate-limited)',
    body: EmptyBody,
    response: { 200: AuditVerificationView },
  },

  // ── Admin API: phones and the overview (core/api/admin-phones.ts, admin-overview.ts) ─────────
  adminPhonesList: {
    method: 'GET',
    path: '/admin/phones',
    caller: admin('devices:read'),
    summary: 'List bound phones with their attestation verdict (newest first)',
    querystring: ListPhonesQuery,
    response: { 200: ListPhonesReply },
  },
  adminOverview: {
    method: 'GET',
    path: '/admin/overview',
    caller: admin('sessions:read'),
    summary: 'Live sessions, the auth funnel of the last hour, gateway health and open alerts',
    querystring: NoQuery,
    response: { 200: OverviewReply },
  },

  // ── Admin API: alerts of the detection rules (core/api/admin-alerts.ts, docs/detections.md) ──
  adminAlertsList: {
    method: 'GET',
    path: '/admin/alerts',
    caller: admin('alerts:read'),
    summary: 'List the alerts the detection rules raised (newest first)',
    querystring: ListAlertsQuery,
    response: { 200: ListAlertsReply },
  },
  adminAlertsAck: {
    method: 'POST',
    path: '/admin/alerts/:id/ack',
    caller: admin('alerts:ack'),
    summary: 'Acknowledge an alert (409 when it already is: the reply names who and when)',
    params: IdParams,
    body: EmptyBody,
    response: { 200: AlertReply },
  },

  // ── Admin API: gateways (core/api/admin-gateways.ts) ─────────────────────────────────────────
  adminGatewaysList: {
    method: 'GET',
    path: '/admin/gateways',
    caller: admin('gateways:read'),
    summary: 'List gateway nodes',
    querystring: NoQuery,
    response: { 200: ListGatewaysReply },
  },
  adminGatewaysControlKey: {
    method: 'GET',
    path: '/admin/gateways/control-key',
    caller: admin('gateways:read'),
    summary: "The backend's SSH control public key (for a node's authorized_keys)",
    querystring: NoQuery,
    response: { 200: ControlKeyReply },
  },
  adminGatewaysAdd: {
    method: 'POST',
    path: '/admin/gateways',
    caller: admin('gateways:write'),
    summary:
      'Register a gateway node with its pinned SSH host key (202: pending a second administrator when it has no full tunnel)',
    body: AddGatewayBody,
    response: { 200: GatewayViewReply, 202: PendingChangeReply },
  },
  adminGatewaysProvision: {
    method: 'POST',
    path: '/admin/gateways/:name/provision',
    caller: admin('gateways:write'),
    summary: 'Push configuration and SPA keys to a node; the gateway becomes active',
    params: GatewayNameParams,
    body: EmptyBody,
    response: { 200: ProvisionGatewayReply },
  },
  adminGatewaysHealth: {
    method: 'GET',
    path: '/admin/gateways/:name/health',
    caller: admin('gateways:read'),
    summary: "Ask a node for its services' health now",
    params: GatewayNameParams,
    querystring: NoQuery,
    response: { 200: GatewayHealthReply },
  },

  // ── Admin API: groups (core/api/admin-policies.ts, docs/policies.md) ─────────────────────────
  adminGroupsList: {
    method: 'GET',
    path: '/admin/groups',
    caller: admin('policies:read'),
    summary: 'List groups with their member count and policy assignment',
    querystring: NoQuery,
    response: { 200: ListGroupsReply },
  },
  adminGroupsCreate: {
    method: 'POST',
    path: '/admin/groups',
    caller: admin('policies:write'),
    summary: 'Create a group',
    body: CreateGroupBody,
    response: { 201: GroupReply },
  },
  adminGroupsShow: {
    method: 'GET',
    path: '/admin/groups/:name',
    caller: admin('policies:read'),
    summary: 'A group and its members',
    params: GroupNameParams,
    querystring: NoQuery,
    response: { 200: ShowGroupReply },
  },
  adminGroupsDelete: {
    method: 'POST',
    path: '/admin/groups/:name/delete',
    caller: admin('policies:write'),
    summary: 'Delete a group that has no policy assignment (unassign first)',
    params: GroupNameParams,
    body: EmptyBody,
    response: { 200: GroupReply },
  },
  adminGroupsAddMember: {
    method: 'POST',
    path: '/admin/groups/:name/members',
    caller: admin('policies:write'),
    summary: 'Add a user to a group (202: pending a second administrator when it widens their access)',
    params: GroupNameParams,
    body: AddGroupMemberBody,
    response: { 200: GroupMemberAppliedReply, 202: PendingChangeReply },
  },
  adminGroupsRemoveMember: {
    method: 'POST',
    path: '/admin/groups/:name/members/:user_id/remove',
    caller: admin('policies:write'),
    summary: 'Remove a user from a group (202: pending when it widens their access)',
    params: GroupMemberParams,
    body: EmptyBody,
    response: { 200: GroupMemberAppliedReply, 202: PendingChangeReply },
  },

  // ── Admin API: access policies (core/api/admin-policies.ts, docs/policies.md) ────────────────
  adminPoliciesList: {
    method: 'GET',
    path: '/admin/policies',
    caller: admin('policies:read'),
    summary: 'List policies with their current version',
    querystring: NoQuery,
    response: { 200: ListPoliciesReply },
  },
  adminPoliciesCreate: {
    method: 'POST',
    path: '/admin/policies',
    caller: admin('policies:write'),
    summary: 'Create a policy: its document becomes version 1',
    body: CreatePolicyBody,
    response: { 201: PolicyVersionReply },
  },
  adminPoliciesExplain: {
    method: 'GET',
    path: '/admin/policies/explain',
    caller: admin('policies:read'),
    summary: "Which policy applies to a user and every rule's verdict for a device, address and time",
    querystring: ExplainQuery,
    response: { 200: ExplainReply },
  },
  adminPolicyChangesList: {
    method: 'GET',
    path: '/admin/policies/changes',
    caller: admin('policies:read'),
    summary: 'Changes that widen access and wait for a second administrator (default: pending)',
    querystring: ListPolicyChangesQuery,
    response: { 200: ListPolicyChangesReply },
  },
  adminPolicyChangesShow: {
    method: 'GET',
    path: '/admin/policies/changes/:id',
    caller: admin('policies:read'),
    summary: 'One change with its diff and reasons',
    params: IdParams,
    querystring: NoQuery,
    response: { 200: PolicyChangeReply },
  },
  adminPolicyChangesApprove: {
    method: 'POST',
    path: '/admin/policies/changes/:id/approve',
    caller: admin('policies:write'),
    summary: 'Approve and apply a pending change (never by its author)',
    params: IdParams,
    body: EmptyBody,
    response: { 200: PolicyChangeReply },
  },
  adminPolicyChangesReject: {
    method: 'POST',
    path: '/admin/policies/changes/:id/reject',
    caller: admin('policies:write'),
    summary: 'Reject a pending change (its author may withdraw it this way)',
    params: IdParams,
    body: EmptyBody,
    response: { 200: PolicyChangeReply },
  },
  adminPoliciesShow: {
    method: 'GET',
    path: '/admin/policies/:name',
    caller: admin('policies:read'),
    summary: 'A policy: its current document, its versions and its assignments',
    params: PolicyNameParams,
    querystring: NoQuery,
    response: { 200: ShowPolicyReply },
  },
  adminPoliciesVersion: {
    method: 'GET',
    path: '/admin/policies/:name/versions/:version',
    caller: admin('policies:read'),
    summary: 'One version of a policy with its document',
    params: PolicyVersionParams,
    querystring: NoQuery,
    response: { 200: PolicyVersionReply },
  },
  adminPoliciesUpdate: {
    method: 'POST',
    path: '/admin/policies/:name/versions',
    caller: admin('policies:write'),
    summary: 'A new version of a policy (202: pending a second administrator when it widens access)',
    params: PolicyNameParams,
    body: UpdatePolicyBody,
    response: { 201: PolicyVersionAppliedReply, 202: PendingChangeReply },
  },
  adminPoliciesDiff: {
    method: 'GET',
    path: '/admin/policies/:name/diff',
    caller: admin('policies:read'),
    summary: 'A line diff between two versions of a policy, and what the newer one relaxes',
    params: PolicyNameParams,
    querystring: PolicyDiffQuery,
    response: { 200: PolicyDiffReply },
  },
  adminPoliciesAssign: {
    method: 'POST',
    path: '/admin/policies/:name/assign',
    caller: admin('policies:write'),
    summary: 'Assign a policy to a user or a group (202: pending when it widens access)',
    params: PolicyNameParams,
    body: AssignPolicyBody,
    response: { 200: AssignmentAppliedReply, 202: PendingChangeReply },
  },
  adminPoliciesUnassign: {
    method: 'POST',
    path: '/admin/policies/:name/unassign',
    caller: admin('policies:write'),
    summary: "Remove a user's or a group's assignment (202: pending when the fallback widens access)",
    params: PolicyNameParams,
    body: UnassignPolicyBody,
    response: { 200: AssignmentAppliedReply, 202: PendingChangeReply },
  },
} as const satisfies Record<string, BackendRoute>;

export type BackendRouteName = keyof typeof BACKEND_ROUTES;

/** The admin permission a route requires, or null for routes outside the admin API. */
export function adminPermissionOf(route: BackendRoute): RoutePermission | null {
  return typeof route.caller === 'object' ? route.caller.admin : null;
}

/**
 * The concrete path of a call: `:name` segments filled in (percent-encoded) from `params`, and the
 * query string from `query` (undefined values left out). A missing parameter is a bug: it throws.
 */
export function routePath(
  route: BackendRoute,
  params: Readonly<Record<string, string>> = {},
  query: Readonly<Record<string, string | undefined>> = {},
): string {
  const path = route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.method} ${route.path}: missing parameter ${name}`);
    return encodeURIComponent(value);
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v);
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}
