// The typed client of the backend's admin API (docs/admin-api.md): one method per admin route of
// the table, every reply checked against its schema. Transport-agnostic: the CLI hands it a
// PinnedTransport, the admin web panel a FetchTransport. It holds the session token of the
// current login (each login and setup step issues a fresh one: setSessionToken).
import type {
  AuditQueryT,
  CreateEnrollmentTokenBodyT,
  ListDevicesQueryT,
  ListEnrollmentTokensQueryT,
  ListSessionsQueryT,
  ListUsersQueryT,
  UserRole,
} from '../api/admin.js';
import type { ListAlertsQueryT } from '../api/admin-alerts.js';
import { AUDIT_EXPORT_MEDIA_TYPES, type AuditExportQueryT } from '../api/admin-audit.js';
import type { AddGatewayBodyT } from '../api/admin-gateways.js';
import type { ListPhonesQueryT } from '../api/admin-phones.js';
import type {
  AssignPolicyBodyT,
  CreateGroupBodyT,
  ExplainQueryT,
  ListPolicyChangesQueryT,
  PolicyDiffQueryT,
  UnassignPolicyBodyT,
} from '../api/admin-policies.js';
import { type BackendRoute, BACKEND_ROUTES as R } from '../api/backend-routes.js';
import type { PolicyDocument } from '../api/policy.js';
import { type AdminSessionWatch, readAdminSessionEvents } from './admin-session-events.js';
import { type CallOptions, callRoute, openRoute } from './call.js';
import type { ReplyOf } from './reply.js';
import type { OpenStream, Transport } from './transport.js';

type Query = Readonly<Record<string, string | undefined>>;

/** Silence longer than this on an open stream is a dead connection (the server sends keep-alives). */
const STREAM_IDLE_MS = 45_000;
/** The verifier reads every event: a large trail takes a while. */
const VERIFY_TIMEOUT_MS = 10 * 60_000;

export class AdminClient {
  constructor(
    readonly transport: Transport,
    private token: string | null = null,
  ) {}

  /** Uses a new token from now on (login and setup steps each issue a fresh one). */
  setSessionToken(token: string | null): void {
    this.token = token;
  }

  private async call<Rt extends BackendRoute>(route: Rt, o: CallOptions = {}): Promise<ReplyOf<Rt>> {
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    return (await callRoute(this.transport, route, { ...o, headers: { ...headers, ...(o.headers ?? {}) } }))
      .value;
  }
  private id = (id: string) => ({ params: { id }, json: {} });

  private async open(route: BackendRoute, o: CallOptions): Promise<OpenStream> {
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    return openRoute(this.transport, route, { ...o, headers: { ...headers, ...(o.headers ?? {}) } });
  }

  // Authentication and first-login setup
  login(username: string, password: string, totp?: string) {
    return this.call(R.adminLogin, { json: { username, password, ...(totp ? { totp } : {}) } });
  }
  async logout(): Promise<void> {
    await this.call(R.adminLogout, { json: {} });
  }
  me() {
    return this.call(R.adminMe);
  }
  changePassword(currentPassword: string, newPassword: string) {
    return this.call(R.adminPassword, {
      json: { current_password: currentPassword, new_password: newPassword },
    });
  }
  totpEnroll() {
    return this.call(R.adminTotpEnroll, { json: {} });
  }
  totpConfirm(code: string) {
    return this.call(R.adminTotpConfirm, { json: { code } });
  }

  // Users
  listUsers(q: ListUsersQueryT = {}) {
    return this.call(R.adminUsersList, { query: q as Query });
  }
  createUser(username: string, role: UserRole) {
    return this.call(R.adminUsersCreate, { json: { username, role } });
  }
  lockUser(id: string) {
    return this.call(R.adminUsersLock, this.id(id));
  }
  unlockUser(id: string) {
    return this.call(R.adminUsersUnlock, this.id(id));
  }
  resetPassword(id: string, resetTotp: boolean) {
    return this.call(R.adminUsersResetPassword, {
      params: { id },
      json: resetTotp ? { reset_totp: true } : {},
    });
  }
  bindCode(id: string) {
    return this.call(R.adminUsersBindCode, this.id(id));
  }

  // Devices
  listDevices(q: ListDevicesQueryT = {}) {
    return this.call(R.adminDevicesList, { query: q as Query });
  }
  /** Bound phones (default: active) with their attestation verdict. */
  listPhones(q: ListPhonesQueryT = {}) {
    return this.call(R.adminPhonesList, { query: q as Query });
  }
  approveDevice(id: string) {
    return this.call(R.adminDevicesApprove, this.id(id));
  }
  unbindDevice(id: string) {
    return this.call(R.adminDevicesUnbind, this.id(id));
  }

  // Enrollment tokens
  createEnrollmentToken(body: CreateEnrollmentTokenBodyT) {
    return this.call(R.adminEnrollmentTokensCreate, { json: body });
  }
  listEnrollmentTokens(q: ListEnrollmentTokensQueryT = {}) {
    return this.call(R.adminEnrollmentTokensList, { query: q as Query });
  }
  revokeEnrollmentToken(id: string) {
    return this.call(R.adminEnrollmentTokensRevoke, this.id(id));
  }

  // VPN sessions
  listSessions(q: ListSessionsQueryT = {}) {
    return this.call(R.adminSessionsList, { query: q as Query });
  }
  terminateSession(id: string) {
    return this.call(R.adminSessionsTerminate, this.id(id));
  }
  /**
   * Live session rows (GET /admin/sessions/events): resolves once the server is subscribed, so a
   * listSessions() made after it misses no change. Leave the loop (or call return()) to close it;
   * it ends by itself when the admin session does.
   */
  async watchSessions(o: { signal?: AbortSignal } = {}): Promise<AdminSessionWatch> {
    const stream = await this.open(R.adminSessionsEvents, {
      headers: { accept: 'text/event-stream' },
      timeoutMs: STREAM_IDLE_MS,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return readAdminSessionEvents(stream);
  }

  // Audit
  queryAudit(q: AuditQueryT = {}) {
    return this.call(R.adminAudit, { query: q as Query });
  }
  /**
   * The export's bytes as they arrive (NDJSON or CSV, core/audit/export-format.ts), at most
   * AUDIT_EXPORT_MAX_ROWS rows: one that holds that many continues with cursor = its last seq.
   */
  exportAudit(q: AuditExportQueryT = {}): Promise<OpenStream> {
    return this.open(R.adminAuditExport, {
      query: q as Query,
      headers: { accept: AUDIT_EXPORT_MEDIA_TYPES[q.format ?? 'ndjson'] },
      timeoutMs: STREAM_IDLE_MS,
    });
  }
  auditIntegrity() {
    return this.call(R.adminAuditIntegrity);
  }
  /** Runs the verifier over the database now (rate-limited: VIW_E_RATE_LIMITED). */
  verifyAudit() {
    return this.call(R.adminAuditVerify, { json: {}, timeoutMs: VERIFY_TIMEOUT_MS });
  }

  // The overview: live sessions, the auth funnel of the last hour, gateway health, open alerts
  overview() {
    return this.call(R.adminOverview);
  }

  // Alerts of the detection rules (docs/detections.md). Acknowledging one twice is VIW_E_CONFLICT.
  listAlerts(q: ListAlertsQueryT = {}) {
    return this.call(R.adminAlertsList, { query: q as Query });
  }
  ackAlert(id: string) {
    return this.call(R.adminAlertsAck, this.id(id));
  }

  // Gateways
  listGateways() {
    return this.call(R.adminGatewaysList);
  }
  addGateway(body: AddGatewayBodyT) {
    return this.call(R.adminGatewaysAdd, { json: body });
  }
  provisionGateway(name: string) {
    return this.call(R.adminGatewaysProvision, { params: { name }, json: {} });
  }
  gatewayHealth(name: string) {
    return this.call(R.adminGatewaysHealth, { params: { name } });
  }
  gatewayControlKey() {
    return this.call(R.adminGatewaysControlKey);
  }

  // Groups (docs/policies.md). Membership changes answer `status: "pending"` when they wait for a
  // second administrator.
  listGroups() {
    return this.call(R.adminGroupsList);
  }
  createGroup(body: CreateGroupBodyT) {
    return this.call(R.adminGroupsCreate, { json: body });
  }
  showGroup(name: string) {
    return this.call(R.adminGroupsShow, { params: { name } });
  }
  deleteGroup(name: string) {
    return this.call(R.adminGroupsDelete, { params: { name }, json: {} });
  }
  addGroupMember(name: string, userId: string) {
    return this.call(R.adminGroupsAddMember, { params: { name }, json: { user_id: userId } });
  }
  removeGroupMember(name: string, userId: string) {
    return this.call(R.adminGroupsRemoveMember, { params: { name, user_id: userId }, json: {} });
  }

  // Access policies. New versions, assignments and unassignments answer `status: "pending"` when
  // they widen access; approve and reject decide them.
  listPolicies() {
    return this.call(R.adminPoliciesList);
  }
  createPolicy(name: string, document: PolicyDocument) {
    return this.call(R.adminPoliciesCreate, { json: { name, document } });
  }
  showPolicy(name: string) {
    return this.call(R.adminPoliciesShow, { params: { name } });
  }
  policyVersion(name: string, version: number) {
    return this.call(R.adminPoliciesVersion, { params: { name, version: String(version) } });
  }
  updatePolicy(name: string, document: PolicyDocument) {
    return this.call(R.adminPoliciesUpdate, { params: { name }, json: { document } });
  }
  diffPolicy(name: string, q: PolicyDiffQueryT = {}) {
    return this.call(R.adminPoliciesDiff, { params: { name }, query: q as Query });
  }
  assignPolicy(name: string, body: AssignPolicyBodyT) {
    return this.call(R.adminPoliciesAssign, { params: { name }, json: body });
  }
  unassignPolicy(name: string, body: UnassignPolicyBodyT) {
    return this.call(R.adminPoliciesUnassign, { params: { name }, json: body });
  }
  explainPolicy(q: ExplainQueryT) {
    return this.call(R.adminPoliciesExplain, { query: q as Query });
  }
  listPolicyChanges(q: ListPolicyChangesQueryT = {}) {
    return this.call(R.adminPolicyChangesList, { query: q as Query });
  }
  showPolicyChange(id: string) {
    return this.call(R.adminPolicyChangesShow, { params: { id } });
  }
  approvePolicyChange(id: string) {
    return this.call(R.adminPolicyChangesApprove, this.id(id));
  }
  rejectPolicyChange(id: string) {
    return this.call(R.adminPolicyChangesReject, this.id(id));
  }
}
