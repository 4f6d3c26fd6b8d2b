import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN_PERMISSIONS,
  ADMIN_ROLES,
  type AdminPermission,
  ROLE_PERMISSIONS,
  type RoutePermission,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { newToken } from '../../services/auth/tokens.js';
import { policyDoc } from '../../services/policy/admin-fixtures.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly permission: RoutePermission;
  /** A body that passes the schema (POST only), and one with a field of the wrong type. */
  readonly body?: Record<string, unknown>;
  readonly wrongType?: Record<string, unknown>;
  /** GET routes without a `limit` parameter (the paging checks are skipped). */
  readonly noQuery?: true;
  /** Required query parameters, sent along with the unknown one. */
  readonly query?: string;
  /** A larger body limit than the admin API's 8 KiB (the routes that carry a policy document). */
  readonly bodyLimit?: number;
}

const ID = randomId();
const GATEWAY_BODY = {
  name: 'neg-gw',
  fqdn: 'gw.neg.internal',
  addresses: ['192.0.2.1'],
  ssh_host: '192.0.2.1',
  ssh_port: 2222,
  ssh_host_key_fingerprint: `SHA256:${'A'.repeat(43)}`,
  settings: { backend_cidrs: ['192.0.2.2/32'] },
};
const DOC = policyDoc(['10.0.0.0/8']);
const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/admin/login',
    permission: 'public',
    body: { username: 'admin', password: 'x' },
    wrongType: { username: 'admin', password: 42 },
  },
  { method: 'POST', path: '/admin/logout', permission: 'self', body: {} },
  { method: 'GET', path: '/admin/me', permission: 'self' },
  {
    method: 'POST',
    path: '/admin/password',
    permission: 'self',
    body: { current_password: 'a', new_password: 'long-enough-password' },
    wrongType: { current_password: 'a', new_password: ['long-enough-password'] },
  },
  { method: 'POST', path: '/admin/totp/enroll', permission: 'self', body: {} },
  {
    method: 'POST',
    path: '/admin/totp/confirm',
    permission: 'self',
    body: { code: '123456' },
    wrongType: { code: 123456 },
  },
  { method: 'GET', path: '/admin/users', permission: 'users:read' },
  {
    method: 'POST',
    path: '/admin/users',
    permission: 'users:write',
    body: { username: 'neg-user', role: 'User' },
    wrongType: { username: 'neg-user', role: 'Root' },
  },
  { method: 'POST', path: `/admin/users/${ID}/lock`, permission: 'users:write', body: {} },
  { method: 'POST', path: `/admin/users/${ID}/unlock`, permission: 'users:write', body: {} },
  {
    method: 'POST',
    path: `/admin/users/${ID}/reset-password`,
    permission: 'users:write',
    body: { reset_totp: true },
    wrongType: { reset_totp: 'yes' },
  },
  { method: 'POST', path: `/admin/users/${ID}/bind-code`, permission: 'bindcodes:write', body: {} },
  { method: 'GET', path: '/admin/devices', permission: 'devices:read' },
  { method: 'POST', path: `/admin/devices/${ID}/approve`, permission: 'devices:write', body: {} },
  { method: 'POST', path: `/admin/devices/${ID}/unbind`, permission: 'devices:write', body: {} },
  { method: 'GET', path: '/admin/enrollment-tokens', permission: 'tokens:read' },
  {
    method: 'POST',
    path: '/admin/enrollment-tokens',
    permission: 'tokens:write',
    body: { max_uses: 1, expires_in_s: 600 },
    wrongType: { max_uses: '1', expires_in_s: 600 },
  },
  { method: 'POST', path: `/admin/enrollment-tokens/${ID}/revoke`, permission: 'tokens:write', body: {} },
  { method: 'GET', path: '/admin/sessions', permission: 'sessions:read' },
  { method: 'POST', path: `/admin/sessions/${ID}/terminate`, permission: 'sessions:terminate', body: {} },
  { method: 'GET', path: '/admin/audit', permission: 'audit:read' },
  { method: 'GET', path: '/admin/alerts', permission: 'alerts:read' },
  { method: 'POST', path: `/admin/alerts/${ID}/ack`, permission: 'alerts:ack', body: {} },
  { method: 'GET', path: '/admin/gateways', permission: 'gateways:read', noQuery: true },
  {
    method: 'POST',
    path: '/admin/gateways',
    permission: 'gateways:write',
    body: GATEWAY_BODY,
    wrongType: { ...GATEWAY_BODY, ssh_port: '2222' },
  },
  { method: 'GET', path: '/admin/gateways/control-key', permission: 'gateways:read', noQuery: true },
  { method: 'POST', path: `/admin/gateways/${ID}/provision`, permission: 'gateways:write', body: {} },
  { method: 'GET', path: `/admin/gateways/${ID}/health`, permission: 'gateways:read', noQuery: true },
  { method: 'GET', path: '/admin/groups', permission: 'policies:read', noQuery: true },
  {
    method: 'POST',
    path: '/admin/groups',
    permission: 'policies:write',
    body: { name: 'neg-group' },
    wrongType: { name: 7 },
  },
  { method: 'GET', path: `/admin/groups/${ID}`, permission: 'policies:read', noQuery: true },
  { method: 'POST', path: `/admin/groups/${ID}/delete`, permission: 'policies:write', body: {} },
  {
    method: 'POST',
    path: `/admin/groups/${ID}/members`,
    permission: 'policies:write',
    body: { user_id: ID },
    wrongType: { user_id: 7 },
  },
  {
    method: 'POST',
    path: `/admin/groups/${ID}/members/${ID}/remove`,
    permission: 'policies:write',
    body: {},
  },
  { method: 'GET', path: '/admin/policies', permission: 'policies:read', noQuery: true },
  {
    method: 'POST',
    path: '/admin/policies',
    permission: 'policies:write',
    body: { name: 'neg-policy', document: DOC },
    wrongType: { name: 'neg-policy', document: { ...DOC, kill_switch: true } },
    bodyLimit: 32 * 1024,
  },
  {
    method: 'GET',
    path: '/admin/policies/explain',
    permission: 'policies:read',
    noQuery: true,
    query: `user=${ID}`,
  },
  { method: 'GET', path: '/admin/policies/changes', permission: 'policies:read' },
  { method: 'GET', path: `/admin/policies/changes/${ID}`, permission: 'policies:read', noQuery: true },
  { method: 'POST', path: `/admin/policies/changes/${ID}/approve`, permission: 'policies:write', body: {} },
  { method: 'POST', path: `/admin/policies/changes/${ID}/reject`, permission: 'policies:write', body: {} },
  { method: 'GET', path: `/admin/policies/${ID}`, permission: 'policies:read', noQuery: true },
  { method: 'GET', path: `/admin/policies/${ID}/versions/1`, permission: 'policies:read', noQuery: true },
  {
    method: 'POST',
    path: `/admin/policies/${ID}/versions`,
    permission: 'policies:write',
    body: { document: DOC },
    wrongType: { document: { ...DOC, kill_switch: true } },
    bodyLimit: 32 * 1024,
  },
  { method: 'GET', path: `/admin/policies/${ID}/diff`, permission: 'policies:read', noQuery: true },
  {
    method: 'POST',
    path: `/admin/policies/${ID}/assign`,
    permission: 'policies:write',
    body: { user_id: ID },
    wrongType: { user_id: ID, priority: '1' },
  },
  {
    method: 'POST',
    path: `/admin/policies/${ID}/unassign`,
    permission: 'policies:write',
    body: { user_id: ID },
    wrongType: { group: 7 },
  },
  // The admin panel's routes (issue #17); after the others, so the role probes stay the lists above.
  { method: 'GET', path: '/admin/phones', permission: 'devices:read' },
  { method: 'GET', path: '/admin/sessions/events', permission: 'sessions:read', noQuery: true },
  { method: 'GET', path: '/admin/overview', permission: 'sessions:read', noQuery: true },
  { method: 'GET', path: '/admin/audit/export', permission: 'audit:read', noQuery: true },
  { method: 'GET', path: '/admin/audit/integrity', permission: 'audit:read', noQuery: true },
  { method: 'POST', path: '/admin/audit/verify', permission: 'audit:read', body: {} },
];

/** One route per permission whose happy path is harmless: lists answer 200, actions on an unknown id 404. */
const PROBE: Record<AdminPermission, Route> = Object.fromEntries(
  ADMIN_PERMISSIONS.map((p) => [
    p,
    ROUTES.find((r) => r.permission === p && (r.method === 'GET' || r.path.includes(ID)))!,
  ]),
) as Record<AdminPermission, Route>;

describe('admin API: refusals (every route, every role, every malformed input)', () => {
  let t: AdminTestServer;
  const tokens: Partial<Record<(typeof ADMIN_ROLES)[number] | 'User' | 'setup', string>> = {};
  let ip = 0;
  const nextIp = () => `127.0.4.${++ip}`;
  before(async () => {
    t = await startAdminTestServer();
    for (const role of [...ADMIN_ROLES, 'User'] as const) {
      tokens[role] = await sessionFor(t.ctx, (await createAccount(t.ctx, role)).user);
    }
    tokens.setup = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user, 'setup');
  });
  after(async () => t.srv.stop());

  const send = (r: Route, init: { headers?: Record<string, string>; json?: unknown; raw?: string } = {}) =>
    t.srv.call(r.path, {
      method: r.method,
      ...(r.permission === 'public' ? { localAddress: nextIp() } : {}),
      ...init,
      headers: { ...(init.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });

  it('the table covers every /admin route the server exposes', async () => {
    const spec = await t.srv.call<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    const exposed = Object.entries(spec.body.paths)
      .filter(([p]) => p.startsWith('/admin/'))
      .flatMap(([p, ops]) =>
        Object.keys(ops).map(
          (m) => `${m.toUpperCase()} ${p.replace(/\{(id|name|user_id)\}/g, ID).replace('{version}', '1')}`,
        ),
      )
      .sort();
    assert.deepEqual(exposed, ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('no token → VIW_E_AUTH_REQUIRED; forged, foreign, malformed, revoked or expired → VIW_E_TOKEN_INVALID', async () => {
    const revoked = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user);
    assert.equal(
      (await t.srv.call('/admin/logout', { headers: bearer(revoked), method: 'POST' })).status,
      204,
    );
    const expiring = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user);
    const badTokens: Record<string, Record<string, string>> = {
      forged: bearer(newToken('adm')),
      'other kind': bearer(newToken('at')),
      'not bearer': { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      garbage: { authorization: 'Bearer viw_adm_x' },
      revoked: bearer(revoked),
    };
    for (const r of ROUTES.filter((x) => x.permission !== 'public')) {
      const bodies = r.body === undefined ? {} : { json: r.body };
      assert.deepEqual(refusal(await send(r, bodies)), { code: 'VIW_E_AUTH_REQUIRED', status: 401 }, r.path);
      for (const [name, headers] of Object.entries(badTokens)) {
        assert.deepEqual(
          refusal(await send(r, { ...bodies, headers })),
          { code: 'VIW_E_TOKEN_INVALID', status: 401 },
          `${name} ${r.path}`,
        );
      }
    }
    // Past the absolute lifetime (8 h) the token is dead, on any route.
    const ctx = t.ctx as { now: AppContext['now'] };
    const realNow = ctx.now;
    ctx.now = () => new Date(Date.now() + 8 * 3600_000 + 1000);
    try {
      const res = await t.srv.call('/admin/me', { headers: bearer(expiring) });
      assert.deepEqual(refusal(res), { code: 'VIW_E_TOKEN_INVALID', status: 401 });
    } finally {
      ctx.now = realNow;
    }
    assert.deepEqual(refusal(await t.srv.call('/admin/me', { headers: bearer(expiring) })), {
      code: 'VIW_E_TOKEN_INVALID',
      status: 401,
    });
  });

  it('a setup session reaches only the `self` routes', async () => {
    for (const r of ROUTES.filter((x) => x.permission !== 'public' && x.permission !== 'self')) {
      const res = await send(r, { headers: bearer(tokens.setup!), ...(r.body ? { json: r.body } : {}) });
      assert.deepEqual(refusal(res), { code: 'VIW_E_SETUP_REQUIRED', status: 403 }, r.path);
    }
    assert.equal((await t.srv.call('/admin/me', { headers: bearer(tokens.setup!) })).status, 200);
  });

  for (const role of ADMIN_ROLES) {
    for (const permission of ADMIN_PERMISSIONS) {
      const allowed = ROLE_PERMISSIONS[role].includes(permission);
      it(`${role} ${allowed ? 'may' : 'may not'} ${permission}`, async () => {
        const r = PROBE[permission];
        const res = await send(r, { headers: bearer(tokens[role]!), ...(r.body ? { json: r.body } : {}) });
        if (allowed) assert.ok([200, 404].includes(res.status), `${res.status} ${res.text.slice(0, 200)}`);
        else assert.deepEqual(refusal(res), { code: 'VIW_E_FORBIDDEN', status: 403 });
      });
    }
  }

  it('a session of a `User` account (if one ever existed) is refused everywhere', async () => {
    for (const permission of ADMIN_PERMISSIONS) {
      const r = PROBE[permission];
      const res = await send(r, { headers: bearer(tokens.User!), ...(r.body ? { json: r.body } : {}) });
      assert.deepEqual(refusal(res), { code: 'VIW_E_TOKEN_INVALID', status: 401 }, permission);
    }
  });

  it('malformed JSON, wrong types, unknown fields, oversized bodies and wrong media types → 4xx with a stable code', async () => {
    const admin = bearer(tokens.Admin!);
    for (const r of ROUTES.filter((x) => x.method === 'POST')) {
      const cases: Array<[string, Parameters<typeof send>[1], string, number]> = [
        ['malformed', { raw: '{"a":' }, 'VIW_E_MALFORMED_JSON', 400],
        ['not an object', { json: ['x'] }, 'VIW_E_VALIDATION', 400],
        ['unknown field', { json: { ...r.body, surprise: 1 } }, 'VIW_E_UNKNOWN_FIELD', 400],
        [
          'oversized',
          { json: { ...r.body, pad: 'x'.repeat((r.bodyLimit ?? 8 * 1024) + 1024) } },
          'VIW_E_BODY_TOO_LARGE',
          413,
        ],
        ['text/plain', { raw: 'hello', headers: { 'content-type': 'text/plain' } }, 'VIW_E_VALIDATION', 400],
      ];
      if (r.wrongType) cases.push(['wrong type', { json: r.wrongType }, 'VIW_E_VALIDATION', 400]);
      for (const [name, init, code, status] of cases) {
        const res = await send(r, { ...init, headers: { ...admin, ...init?.headers } });
        assert.deepEqual(refusal(res), { code, status }, `${name} ${r.path}: ${res.text.slice(0, 160)}`);
      }
    }
    // Strict UTF-8: an invalid byte sequence is malformed JSON, not a replacement character.
    const res = await t.srv.call('/admin/users', {
      raw: Buffer.concat([
        Buffer.from('{"username":"a'),
        Buffer.from([0xff]),
        Buffer.from('","role":"User"}'),
      ]),
      headers: admin,
    });
    assert.deepEqual(refusal(res), { code: 'VIW_E_MALFORMED_JSON', status: 400 });
  });

  it('query strings: wrong types and unknown parameters are refused on every list', async () => {
    const admin = bearer(tokens.Admin!);
    for (const r of ROUTES.filter((x) => x.method === 'GET' && x.permission !== 'self')) {
      const unknown = await t.srv.call(`${r.path}?${r.query ? `${r.query}&` : ''}surprise=1`, {
        headers: admin,
      });
      assert.deepEqual(refusal(unknown), { code: 'VIW_E_UNKNOWN_FIELD', status: 400 }, r.path);
      if (r.noQuery) continue;
      const wrong = await t.srv.call(`${r.path}?limit=ten`, { headers: admin });
      assert.deepEqual(refusal(wrong), { code: 'VIW_E_VALIDATION', status: 400 }, r.path);
      const twice = await t.srv.call(`${r.path}?limit=1&limit=2`, { headers: admin });
      assert.deepEqual(refusal(twice), { code: 'VIW_E_VALIDATION', status: 400 }, r.path);
    }
  });
});
