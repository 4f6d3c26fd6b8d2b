// /admin/gateways with the real test server: registration (pins required, never replaced), list,
// permissions, the control key (public line only); and, against a real sshd running a stand-in
// dispatcher, provision → active, health, and the hooks: bootstrap (keys + CCD on the gateway, fail
// closed when it is unreachable), session end (teardown + CRL), device unbind (SPA key removal).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ControlKeyReply,
  GatewayHealthReply,
  GatewayViewReply,
  ListGatewaysReply,
  ProvisionGatewayReply,
} from '../../../core/api/admin-gateways.js';
import type { BootstrapResponse } from '../../../core/api/client.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { strictValidator } from '../../../core/schema/strict.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { freePort } from '../../../scripts/testkit/ports.js';
import { controlKeyDir } from '../../services/gateways/control-key.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../testing/client-fixtures.js';
import { SSHD, startTestSshd, type TestSshd } from '../../testing/sshd.js';

const pin = () => `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
const body = (over: Record<string, unknown> = {}) => ({
  name: `gw-${randomBytes(3).toString('hex')}`,
  fqdn: 'gw2.test.internal',
  addresses: ['192.0.2.10'],
  ssh_host: '192.0.2.10',
  ssh_port: 2222,
  ssh_host_key_fingerprint: pin(),
  settings: { backend_cidrs: ['192.0.2.1/32'] },
  ...over,
});
const ok = <T>(
  schema: Parameters<typeof strictValidator>[0],
  reply: { status: number; body: unknown; text: string },
) => {
  assert.equal(reply.status, 200, reply.text);
  return strictValidator(schema).parse(reply.body) as T;
};

describe('admin API: gateways (registration, list, permissions, control key)', () => {
  let t: AdminTestServer;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  let auditor: Record<string, string>;
  before(async () => {
    t = await startAdminTestServer();
    admin = bearer(await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user));
    operator = bearer(await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user));
    auditor = bearer(await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user));
  });
  after(async () => t.srv.stop());
  const post = (headers: Record<string, string>, json: unknown) =>
    t.srv.call('/admin/gateways', { headers, json });

  it('control-key: the public ssh-ed25519 line, equal to the key file, never private material', async () => {
    const reply = await t.srv.call('/admin/gateways/control-key', { headers: operator });
    const { public_key } = ok<{ public_key: string }>(ControlKeyReply, reply);
    assert.match(public_key, /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=* viworks-backend$/);
    assert.equal(
      `${public_key}\n`,
      readFileSync(join(controlKeyDir(t.srv.dataDir), 'control_ed25519.pub'), 'utf8'),
    );
    assert.ok(!/PRIVATE|BEGIN/.test(reply.text));
    assert.deepEqual(refusal(await t.srv.call('/admin/gateways/control-key', { headers: auditor })), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
  });

  it('add: fills the pending, unpinned default row once; a pinned gateway is never re-registered', async () => {
    const fqdn = t.ctx.config.gatewayFqdn;
    const first = body({ name: 'default', fqdn, ssh_port: 2201 });
    const added = ok<{ gateway: Record<string, unknown> }>(GatewayViewReply, await post(admin, first));
    assert.equal(added.gateway.id, t.ctx.gateway.id);
    assert.equal(added.gateway.status, 'pending');
    assert.equal(added.gateway.ssh_host_key_fingerprint, first.ssh_host_key_fingerprint);
    assert.deepEqual(added.gateway.settings, {
      vpn_network: '10.8.0.0/24',
      push_routes: [],
      push_dns: [],
      redirect_gateway: true,
      backend_cidrs: ['192.0.2.1/32'],
      fw_access_timeout_s: 15,
    });
    const again = await post(admin, body({ name: 'default', fqdn }));
    assert.deepEqual(refusal(again), { code: 'VIW_E_CONFLICT', status: 409 });
    const row = await t.ctx.db.gateway.findUniqueOrThrow({ where: { name: 'default' } });
    assert.equal(row.sshHostKeyFingerprint, first.ssh_host_key_fingerprint, 'the pin did not change');
    assert.equal(row.sshPort, 2201);
  });

  it('add: a new name is created pending; the same name again is a conflict', async () => {
    const b = body();
    const created = ok<{ gateway: { status: string; name: string } }>(GatewayViewReply, await post(admin, b));
    assert.deepEqual([created.gateway.name, created.gateway.status], [b.name, 'pending']);
    assert.deepEqual(refusal(await post(admin, { ...b, ssh_host_key_fingerprint: pin() })), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    const events = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((r) =>
      parseAuditEvent(JSON.parse(r.event)),
    );
    const adds = events.filter(
      (e) => e.action === 'admin.gateway_add' && e.error_msg === `gateway ${b.name}`,
    );
    assert.deepEqual(
      adds.map((e) => e.result),
      ['success', 'denied'],
    );
  });

  it('add: refuses a bad fingerprint, an unknown field, a wrong default FQDN, and a role without gateways:write', async () => {
    for (const bad of ['SHA256:short', `MD5:${'a'.repeat(43)}`, `SHA256:${'A'.repeat(42)}=`, '']) {
      assert.deepEqual(refusal(await post(admin, body({ ssh_host_key_fingerprint: bad }))), {
        code: 'VIW_E_VALIDATION',
        status: 400,
      });
    }
    assert.deepEqual(refusal(await post(admin, { ...body(), surprise: 1 })), {
      code: 'VIW_E_UNKNOWN_FIELD',
      status: 400,
    });
    assert.deepEqual(refusal(await post(admin, body({ settings: { backend_cidrs: [] } }))), {
      code: 'VIW_E_VALIDATION',
      status: 400,
    });
    assert.deepEqual(refusal(await post(operator, body())), { code: 'VIW_E_FORBIDDEN', status: 403 });
    const other = await startAdminTestServer();
    try {
      const a = bearer(await sessionFor(other.ctx, (await createAccount(other.ctx, 'Admin')).user));
      const wrong = await other.srv.call('/admin/gateways', { headers: a, json: body({ name: 'default' }) });
      assert.deepEqual(refusal(wrong), { code: 'VIW_E_CONFLICT', status: 409 });
    } finally {
      await other.srv.stop();
    }
  });

  it('list, provision and health: read for Operators, provision for Admins; unknown → 404; unpinned → 503', async () => {
    const list = ok<{ gateways: Array<{ name: string }> }>(
      ListGatewaysReply,
      await t.srv.call('/admin/gateways', { headers: operator }),
    );
    assert.ok(list.gateways.some((g) => g.name === 'default'));
    const provision = (name: string, headers = admin) =>
      t.srv.call(`/admin/gateways/${name}/provision`, { headers, json: {} });
    assert.deepEqual(refusal(await provision('default', operator)), { code: 'VIW_E_FORBIDDEN', status: 403 });
    assert.deepEqual(refusal(await provision('nope')), { code: 'VIW_E_NOT_FOUND', status: 404 });
    await t.ctx.db.gateway.create({
      data: { name: 'unpinned', fqdn: 'u.test.internal', sshHostKeyFingerprint: '' },
    });
    assert.deepEqual(refusal(await provision('unpinned')), { code: 'VIW_E_GATEWAY_NOT_READY', status: 503 });
    const health = await t.srv.call('/admin/gateways/unpinned/health', { headers: operator });
    assert.deepEqual(refusal(health), { code: 'VIW_E_GATEWAY_NOT_READY', status: 503 });
  });
});

const peer = needPeers({ binaries: [SSHD], root: true, apt: 'openssh-server' });

describe('gateways over SSH: provision, health and the hooks (real sshd)', { skip: peer.skip }, () => {
  let t: AdminTestServer;
  let sshd: TestSshd;
  let admin: Record<string, string>;
  before(async () => {
    t = await startAdminTestServer();
    sshd = await startTestSshd(t.ctx.gatewayControl.publicKeyLine);
    admin = bearer(await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user));
  });
  after(async () => {
    await t?.srv.stop();
    await sshd?.stop();
  });
  const verbs = () => sshd.calls().map((c) => c.split('|')[0]);

  it('a pending gateway: bootstrap does not touch it', async () => {
    const reply = await fetchBootstrap(t.srv, await loginTokens(t.ctx, await enrolledDesktop(t.ctx)));
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(sshd.calls(), []);
  });

  it('provision: apply_config on stdin, SPA keys of enrolled devices, then active', async () => {
    const add = body({
      name: 'default',
      fqdn: t.ctx.config.gatewayFqdn,
      ssh_host: '127.0.0.1',
      ssh_port: sshd.port,
      ssh_host_key_fingerprint: sshd.hostKeyFingerprint,
    });
    ok(GatewayViewReply, await t.srv.call('/admin/gateways', { headers: admin, json: add }));
    const reply = await t.srv.call('/admin/gateways/default/provision', { headers: admin, json: {} });
    const out = ok<{ gateway: { status: string; config_id: string }; spa_keys_synced: number }>(
      ProvisionGatewayReply,
      reply,
    );
    assert.equal(out.gateway.status, 'active');
    assert.match(out.gateway.config_id, /^[0-9a-f]{64}$/);
    assert.equal(out.spa_keys_synced, 1, 'the device bootstrapped above has keys');
    const [apply, ...keys] = sshd.calls();
    assert.match(apply ?? '', /^apply_config\|[1-9][0-9]{3,}$/, 'the bundle came on stdin, not argv');
    assert.deepEqual(
      keys.map((k) => k.replace(/\|\d+$/, '').replace(/d-[0-9a-f]{32}/, 'd-…')),
      ['spa_key_add d-…'],
    );
    assert.ok(!/PRIVATE|BEGIN/.test(reply.text));
  });

  it('health: the node answers; drift shows when it runs another config', async () => {
    const h = ok<{
      health: { version: string };
      config_drift: boolean;
      gateway: { last_health_ok: boolean };
    }>(GatewayHealthReply, await t.srv.call('/admin/gateways/default/health', { headers: admin }));
    assert.equal(h.health.version, 'test');
    assert.equal(h.config_drift, true, 'the stand-in reports no config_id');
    assert.equal(
      (h as { policy_in_effect?: unknown }).policy_in_effect,
      null,
      'the stand-in reports no forwarding table',
    );
    assert.equal(h.gateway.last_health_ok, true);
  });

  it('bootstrap on an active gateway: SPA keys, the session CCD and its forwarding rules go to the node first, in one command', async () => {
    const d = await enrolledDesktop(t.ctx);
    const before = sshd.calls().length;
    const reply = await fetchBootstrap<BootstrapResponse>(t.srv, await loginTokens(t.ctx, d));
    assert.equal(reply.status, 200, reply.text);
    const calls = sshd.calls().slice(before);
    // Before the reply, one command (session_open: keys, authorization, forwarding), carrying the
    // device's keys on stdin (the stand-in records only their size).
    const sent = calls.map((c) => c.split('|')[0]);
    assert.deepEqual(sent, [`session_open ${reply.body.session_id} ${toWireId('d', d.device.id)}`]);
    assert.ok(Number(calls[0]?.split('|')[1]) > 200, 'the document arrived on stdin');

    // Unbinding the device ends the session (teardown + CRL) and removes its SPA keys, in the background.
    const unbind = await t.srv.call(`/admin/devices/${d.device.id}/unbind`, { headers: admin, json: {} });
    assert.equal(unbind.status, 200, unbind.text);
    await t.ctx.gatewayControl.idle();
    const after = verbs().slice(before + 1);
    for (const expected of [
      `terminate_session ${reply.body.session_id}`,
      `vpn_user_delete ${reply.body.session_id}`,
      'crl_update',
      `spa_key_remove ${toWireId('d', d.device.id)}`,
    ]) {
      assert.ok(after.includes(expected), `${expected} in ${after.join(', ')}`);
    }
  });

  it('bootstrap fails closed when the active gateway is unreachable: VIW_E_GATEWAY_UNREACHABLE, session ended', async () => {
    await t.ctx.db.gateway.update({ where: { name: 'default' }, data: { sshPort: await freePort() } });
    const d = await enrolledDesktop(t.ctx);
    const reply = await fetchBootstrap(t.srv, await loginTokens(t.ctx, d));
    assert.deepEqual(refusal(reply), { code: 'VIW_E_GATEWAY_UNREACHABLE', status: 503 });
    const sessions = await t.ctx.db.session.findMany({ where: { deviceId: d.device.id } });
    assert.equal(sessions.length, 1);
    assert.ok(sessions[0]?.endedAt, 'the session was ended');
    assert.equal(sessions[0]?.endReason, 'revoked');
    // Its certificate was issued beside the gateway step; the failure revoked it.
    const certs = await t.ctx.db.issuedCertificate.findMany({ where: { sessionId: sessions[0]?.id } });
    assert.equal(certs.length, 1, 'the certificate issued beside the gateway step');
    assert.ok(certs[0]?.revokedAt, 'and revoked when the gateway failed');
    const attempts = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((r) => parseAuditEvent(JSON.parse(r.event)))
      .filter((e) => e.action === 'gateway.session_open' && e.device_id === d.device.id);
    assert.deepEqual(
      attempts.map((e) => [e.result, e.error_code]),
      Array.from({ length: 3 }, () => ['error', 'VIW_E_GATEWAY_UNREACHABLE']),
      'three attempts, each audited',
    );
    await t.ctx.gatewayControl.idle();
  });
});
