// A typed client of the backend admin API (docs/admin-api.md, schemas in core/api/admin.ts): one
// method per route, every reply checked against its schema before the CLI uses it.
import type { Static, TSchema } from 'typebox';
import {
  AuditQueryReply,
  type AuditQueryT,
  AuthReply,
  type CreateEnrollmentTokenBodyT,
  CreateEnrollmentTokenReply,
  DeviceActionReply,
  EnrollmentTokenReply,
  type ListDevicesQueryT,
  ListDevicesReply,
  type ListEnrollmentTokensQueryT,
  ListEnrollmentTokensReply,
  type ListSessionsQueryT,
  ListSessionsReply,
  type ListUsersQueryT,
  ListUsersReply,
  MeReply,
  ResetPasswordReply,
  SessionReply,
  TotpEnrollReply,
  UserActionReply,
  type UserRole,
  UserWithPasswordReply,
} from '../../core/api/admin.js';
import {
  type AddGatewayBodyT,
  ControlKeyReply,
  GatewayHealthReply,
  GatewayViewReply,
  ListGatewaysReply,
  ProvisionGatewayReply,
} from '../../core/api/admin-gateways.js';
import { strictValidator } from '../../core/schema/strict.js';
import { type BackendTrust, pinnedJsonRequest } from './pinned-https.js';

const validators = new Map<TSchema, ReturnType<typeof strictValidator>>();
function parseReply<S extends TSchema>(schema: S, body: unknown): Static<S> {
  let v = validators.get(schema);
  if (!v) {
    v = strictValidator(schema);
    validators.set(schema, v);
  }
  // A reply that does not match the contract is a backend/CLI version mismatch: internal.
  return v.parse(body, 'VIW_E_INTERNAL') as Static<S>;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class AdminClient {
  constructor(
    readonly trust: BackendTrust,
    private token: string | null = null,
  ) {}

  /** Uses a new token from now on (login and setup steps each issue a fresh one). */
  useToken(token: string | null): void {
    this.token = token;
  }

  private send(method: 'GET' | 'POST', path: string, json?: unknown) {
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    return pinnedJsonRequest(this.trust, method, path, { headers, ...(json === undefined ? {} : { json }) });
  }

  private async call<S extends TSchema>(
    schema: S,
    method: 'GET' | 'POST',
    path: string,
    json?: unknown,
  ): Promise<Static<S>> {
    return parseReply(schema, (await this.send(method, path, json)).body);
  }

  // Authentication and first-login setup
  login(username: string, password: string, totp?: string) {
    return this.call(AuthReply, 'POST', '/admin/login', { username, password, ...(totp ? { totp } : {}) });
  }
  async logout(): Promise<void> {
    await this.send('POST', '/admin/logout', {});
  }
  me() {
    return this.call(MeReply, 'GET', '/admin/me');
  }
  changePassword(currentPassword: string, newPassword: string) {
    return this.call(AuthReply, 'POST', '/admin/password', {
      current_password: currentPassword,
      new_password: newPassword,
    });
  }
  totpEnroll() {
    return this.call(TotpEnrollReply, 'POST', '/admin/totp/enroll', {});
  }
  totpConfirm(code: string) {
    return this.call(AuthReply, 'POST', '/admin/totp/confirm', { code });
  }

  // Users
  listUsers(q: ListUsersQueryT = {}) {
    return this.call(ListUsersReply, 'GET', `/admin/users${query(q)}`);
  }
  createUser(username: string, role: UserRole) {
    return this.call(UserWithPasswordReply, 'POST', '/admin/users', { username, role });
  }
  lockUser(id: string) {
    return this.call(UserActionReply, 'POST', `/admin/users/${encodeURIComponent(id)}/lock`, {});
  }
  unlockUser(id: string) {
    return this.call(UserActionReply, 'POST', `/admin/users/${encodeURIComponent(id)}/unlock`, {});
  }
  resetPassword(id: string, resetTotp: boolean) {
    return this.call(ResetPasswordReply, 'POST', `/admin/users/${encodeURIComponent(id)}/reset-password`, {
      ...(resetTotp ? { reset_totp: true } : {}),
    });
  }

  // Devices
  listDevices(q: ListDevicesQueryT = {}) {
    return this.call(ListDevicesReply, 'GET', `/admin/devices${query(q)}`);
  }
  approveDevice(id: string) {
    return this.call(DeviceActionReply, 'POST', `/admin/devices/${encodeURIComponent(id)}/approve`, {});
  }
  unbindDevice(id: string) {
    return this.call(DeviceActionReply, 'POST', `/admin/devices/${encodeURIComponent(id)}/unbind`, {});
  }

  // Enrollment tokens
  createEnrollmentToken(body: CreateEnrollmentTokenBodyT) {
    return this.call(CreateEnrollmentTokenReply, 'POST', '/admin/enrollment-tokens', body);
  }
  listEnrollmentTokens(q: ListEnrollmentTokensQueryT = {}) {
    return this.call(ListEnrollmentTokensReply, 'GET', `/admin/enrollment-tokens${query(q)}`);
  }
  revokeEnrollmentToken(id: string) {
    const path = `/admin/enrollment-tokens/${encodeURIComponent(id)}/revoke`;
    return this.call(EnrollmentTokenReply, 'POST', path, {});
  }

  // VPN sessions
  listSessions(q: ListSessionsQueryT = {}) {
    return this.call(ListSessionsReply, 'GET', `/admin/sessions${query(q)}`);
  }
  terminateSession(id: string) {
    return this.call(SessionReply, 'POST', `/admin/sessions/${encodeURIComponent(id)}/terminate`, {});
  }

  // Audit
  queryAudit(q: AuditQueryT = {}) {
    return this.call(AuditQueryReply, 'GET', `/admin/audit${query(q)}`);
  }

  // Gateways
  listGateways() {
    return this.call(ListGatewaysReply, 'GET', '/admin/gateways');
  }
  addGateway(body: AddGatewayBodyT) {
    return this.call(GatewayViewReply, 'POST', '/admin/gateways', body);
  }
  provisionGateway(name: string) {
    return this.call(
      ProvisionGatewayReply,
      'POST',
      `/admin/gateways/${encodeURIComponent(name)}/provision`,
      {},
    );
  }
  gatewayHealth(name: string) {
    return this.call(GatewayHealthReply, 'GET', `/admin/gateways/${encodeURIComponent(name)}/health`);
  }
  gatewayControlKey() {
    return this.call(ControlKeyReply, 'GET', '/admin/gateways/control-key');
  }
}
