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
import type { AddGatewayBodyT } from '../api/admin-gateways.js';
import { type BackendRoute, BACKEND_ROUTES as R } from '../api/backend-routes.js';
import { type CallOptions, callRoute } from './call.js';
import type { ReplyOf } from './reply.js';
import type { Transport } from './transport.js';

type Query = Readonly<Record<string, string | undefined>>;

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

  // Audit
  queryAudit(q: AuditQueryT = {}) {
    return this.call(R.adminAudit, { query: q as Query });
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
}
