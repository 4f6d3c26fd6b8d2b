// `viworks admin gateways …` against the REAL backend (pinned HTTPS), in-process as `Cmd.run(argv)`:
// every --json result checked against its schema, exit codes for refusals; provision and health
// against a real sshd running the stand-in dispatcher (skipped without sshd).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import type { AdminTestServer } from '../../../../server/testing/admin-fixtures.js';
import { SSHD, startTestSshd, type TestSshd } from '../../../../server/testing/sshd.js';
import { type CliAdminBackend, startCliAdminBackend } from '../../../testing/admin-backend.js';
import { errJson, okJson } from '../../../testing/assert.js';
import { runCommand } from '../../../testing/run.js';
import GatewaysAdd, { AdminGatewaysAddResultSchema } from './add.js';
import GatewaysControlKey, { AdminGatewaysControlKeyResultSchema } from './control-key.js';
import GatewaysHealth, { AdminGatewaysHealthResultSchema } from './health.js';
import GatewaysList, { AdminGatewaysListResultSchema } from './list.js';
import GatewaysProvision, { AdminGatewaysProvisionResultSchema } from './provision.js';

const sshdPeer = needPeers({ binaries: [SSHD], root: true, apt: 'openssh-server' });
const pin = () => `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;

describe('viworks admin gateways (real backend)', () => {
  let cli: CliAdminBackend;
  let t: AdminTestServer;
  let sshd: TestSshd | undefined;

  before(async () => {
    cli = await startCliAdminBackend('viw-cli-gw-');
    ({ t } = cli);
    await cli.login('Admin', 'gw.admin');
  });
  after(async () => {
    await cli?.stop();
    await sshd?.stop();
  });

  const addArgs = (name: string, over: Record<string, string> = {}, flags: readonly string[] = []) => {
    const v = {
      fqdn: name === 'default' ? t.ctx.config.gatewayFqdn : 'gw9.test.internal',
      'ssh-host': '127.0.0.1',
      'ssh-port': '2222',
      'ssh-host-key': pin(),
      ...over,
    };
    return [
      '--name',
      name,
      '--address',
      '192.0.2.7',
      '--backend-cidr',
      '127.0.0.1/32',
      '--push-route',
      '10.30.0.0/16',
      ...flags,
      ...Object.entries(v).flatMap(([k, x]) => [`--${k}`, x]),
      '--json',
    ];
  };

  it('control-key: the public line only', async () => {
    const r = okJson(await runCommand(GatewaysControlKey, ['--json']), AdminGatewaysControlKeyResultSchema);
    assert.equal(r.public_key, t.ctx.gatewayControl.publicKeyLine);
    const text = await runCommand(GatewaysControlKey, []);
    assert.equal(text.stdout, `${r.public_key}\n`);
  });

  it('add, list; refusals: conflict (exit 4), bad fingerprint (exit 2), unknown gateway (exit 2), unpinned (exit 4)', async () => {
    // Without a full tunnel a gateway widens access: held for a second administrator (#14).
    const held = okJson(
      await runCommand(GatewaysAdd, addArgs('edge-0', {}, ['--no-redirect-gateway'])),
      AdminGatewaysAddResultSchema,
    );
    assert.ok('status' in held && held.status === 'pending', JSON.stringify(held));
    assert.match(held.change.reasons.join(' '), /edge-0 added without a full tunnel/);
    const heldText = await runCommand(
      GatewaysAdd,
      addArgs('edge-0b', {}, ['--no-redirect-gateway']).slice(0, -1),
    );
    assert.match(heldText.stdout, /PENDING APPROVAL/);
    const added = okJson(await runCommand(GatewaysAdd, addArgs('edge-1')), AdminGatewaysAddResultSchema);
    assert.ok(!('status' in added) && 'gateway' in added);
    assert.equal(added.gateway.status, 'pending');
    assert.deepEqual(added.gateway.settings?.push_routes, ['10.30.0.0/16']);
    assert.equal(added.gateway.settings?.redirect_gateway, true);
    assert.equal(added.gateway.settings?.vpn_network, '10.8.0.0/24');
    const list = okJson(await runCommand(GatewaysList, ['--json']), AdminGatewaysListResultSchema);
    assert.deepEqual(list.gateways.map((g) => g.name).sort(), ['default', 'edge-1']);
    errJson(await runCommand(GatewaysAdd, addArgs('edge-1')), 4, 'VIW_E_CONFLICT');
    errJson(
      await runCommand(GatewaysAdd, addArgs('edge-2', { 'ssh-host-key': 'SHA256:nope' })),
      2,
      'VIW_E_VALIDATION',
    );
    errJson(await runCommand(GatewaysProvision, ['nope', '--json']), 2, 'VIW_E_NOT_FOUND');
    errJson(await runCommand(GatewaysProvision, ['Bad_Name', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(await runCommand(GatewaysHealth, ['default', '--json']), 4, 'VIW_E_GATEWAY_NOT_READY');
    const text = await runCommand(GatewaysList, []);
    assert.match(text.stdout, /^NAME +STATUS +FQDN/);
    assert.match(text.stdout, /default +pending .*\(not pinned\)/);
  });

  it('provision and health through a real sshd', { skip: sshdPeer.skip }, async () => {
    sshd = await startTestSshd(t.ctx.gatewayControl.publicKeyLine);
    const args = addArgs('default', {
      'ssh-port': String(sshd.port),
      'ssh-host-key': sshd.hostKeyFingerprint,
    });
    okJson(await runCommand(GatewaysAdd, args), AdminGatewaysAddResultSchema);
    const p = okJson(
      await runCommand(GatewaysProvision, ['default', '--json']),
      AdminGatewaysProvisionResultSchema,
    );
    assert.equal(p.gateway.status, 'active');
    const h = okJson(
      await runCommand(GatewaysHealth, ['default', '--json']),
      AdminGatewaysHealthResultSchema,
    );
    assert.equal(h.health.services.openvpn.running, true);
    assert.equal(h.gateway.last_health_ok, true);
    const text = await runCommand(GatewaysHealth, ['default']);
    assert.match(text.stdout, /openvpn +running +13/);
    // A node whose host key changed is refused: network class (exit 5).
    await t.ctx.db.gateway.update({ where: { name: 'default' }, data: { sshHostKeyFingerprint: pin() } });
    errJson(await runCommand(GatewaysHealth, ['default', '--json']), 5, 'VIW_E_GATEWAY_HOSTKEY');
  });
});
