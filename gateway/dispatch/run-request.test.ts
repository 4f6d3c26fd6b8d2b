// The dispatcher end to end in-process (no sshd, no daemons running): replies, exit codes, audit
// lines, idempotence, and that stdin never reaches the audit log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createTestCa } from '../../scripts/testkit/openvpn-server.js';
import { buildCrl } from '../../server/pki/crl.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { handleRequest } from './run-request.js';

let fx: NodeConfigFixture;
before(() => {
  fx = createNodeConfig();
});
after(() => rmSync(fx.root, { recursive: true, force: true }));

const D = `d-${randomBytes(16).toString('hex')}`;
const S = `s-${randomBytes(16).toString('hex')}`;
const SSH_CLIENT = '192.0.2.10 50000 2222';

function call(command: string | undefined, stdin?: unknown, now?: Date) {
  const env: NodeJS.ProcessEnv = { SSH_CLIENT };
  if (command !== undefined) env.SSH_ORIGINAL_COMMAND = command;
  const body =
    stdin === undefined ? [] : [Buffer.from(typeof stdin === 'string' ? stdin : JSON.stringify(stdin))];
  return handleRequest(fx.config, {
    env,
    stdin: Readable.from(body),
    ...(now ? { now: () => now } : {}),
  });
}

const auditLines = () =>
  readFileSync(fx.config.audit_log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('viworks-gw dispatcher', () => {
  test('health answers with the contract shape even when nothing runs', async () => {
    const { reply, exitCode } = await call('health');
    assert.equal(exitCode, 0);
    assert.equal(reply.ok, true);
    const r = reply.result as Record<string, unknown>;
    assert.deepEqual(r.services, {
      fwknopd: { running: false, pid: null },
      stunnel: { running: false, pid: null },
      openvpn: { running: false, pid: null },
    });
    assert.equal(r.config_id, null);
    assert.deepEqual(r.sessions, []);
  });

  test('a disallowed command is invalid (exit 2) and audited with what was tried', async () => {
    const { reply, exitCode } = await call('rm -rf /');
    assert.equal(exitCode, 2);
    assert.equal(reply.cmd, 'invalid');
    assert.equal(reply.error?.code, 'VIW_E_FORBIDDEN');
    assert.match(reply.error?.message ?? '', /invalid/);
    const last = auditLines().at(-1);
    assert.equal(last?.verb, 'invalid');
    assert.equal(last?.rc, 2);
    assert.equal(last?.attempt, 'rm -rf /');
    assert.equal(last?.ssh_client, SSH_CLIENT);
  });

  test('a shell request is refused and audited', async () => {
    const { reply, exitCode } = await call(undefined);
    assert.equal(exitCode, 2);
    assert.equal(reply.error?.code, 'VIW_E_FORBIDDEN');
    assert.equal(auditLines().at(-1)?.attempt, '(shell)');
  });

  const keys = {
    key_base64: randomBytes(32).toString('base64'),
    hmac_key_base64: randomBytes(64).toString('base64'),
  };

  test('spa_key_add stores the keys (0600), then says changed:false; audit never holds them', async () => {
    const first = await call(`spa_key_add ${D}`, keys);
    assert.equal(first.exitCode, 0, JSON.stringify(first.reply));
    assert.equal(first.reply.changed, true);
    // No settings applied yet: keys are stored, access.conf waits for apply_config, nothing reloads.
    assert.deepEqual(first.reply.result, { reloaded: false });
    const store = join(fx.config.state_dir, 'spa-keys.json');
    assert.equal(statSync(store).mode & 0o777, 0o600);
    const again = await call(`spa_key_add ${D}`, keys);
    assert.equal(again.reply.changed, false);
    const log = readFileSync(fx.config.audit_log, 'utf8');
    assert.ok(!log.includes(keys.key_base64) && !log.includes(keys.hmac_key_base64), 'key in audit log');
    const health = await call('health');
    assert.equal((health.reply.result as { spa_keys: number }).spa_keys, 1);
  });

  test('bad stdin is invalid: extra field, wrong key length, not JSON, too large', async () => {
    for (const body of [
      { ...keys, extra: 1 },
      { key_base64: Buffer.alloc(33).toString('base64').slice(0, 44), hmac_key_base64: keys.hmac_key_base64 },
      'not json',
      'x'.repeat(1024 * 1024 + 1),
    ]) {
      const { reply, exitCode } = await call(`spa_key_add ${D}`, body);
      assert.equal(exitCode, 2, JSON.stringify(reply));
      assert.equal(reply.error?.code, 'VIW_E_VALIDATION');
      assert.match(reply.error?.message ?? '', /invalid/);
    }
  });

  test('spa_key_remove removes once, then changed:false', async () => {
    assert.equal((await call(`spa_key_remove ${D}`)).reply.changed, true);
    assert.equal((await call(`spa_key_remove ${D}`)).reply.changed, false);
  });

  const ccd = (expiresAt: number, routes = ['10.20.0.0/16']) => ({
    push_routes: routes,
    expires_at: expiresAt,
  });
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  test('vpn_user_create writes the CCD file; update_ccd only for a known session', async () => {
    const unknown = `s-${randomBytes(16).toString('hex')}`;
    const upd = await call(`update_ccd ${unknown}`, ccd(inAnHour()));
    assert.equal(upd.exitCode, 1);
    assert.equal(upd.reply.error?.code, 'VIW_E_NOT_FOUND');
    assert.equal(existsSync(join(fx.config.facts.paths.ccdDir, unknown)), false);

    const exp = inAnHour();
    const created = await call(`vpn_user_create ${S}`, ccd(exp));
    assert.equal(created.exitCode, 0, JSON.stringify(created.reply));
    assert.equal(created.reply.changed, true);
    const file = join(fx.config.facts.paths.ccdDir, S);
    assert.match(readFileSync(file, 'utf8'), /^push "route 10\.20\.0\.0 255\.255\.0\.0"$/m);
    assert.equal((await call(`vpn_user_create ${S}`, ccd(exp))).reply.changed, false);
    const updated = await call(`update_ccd ${S}`, ccd(exp, ['10.30.0.0/24']));
    assert.equal(updated.reply.changed, true);
    assert.match(readFileSync(file, 'utf8'), /^push "route 10\.30\.0\.0 255\.255\.255\.0"$/m);
    const hostBits = await call(`update_ccd ${S}`, ccd(exp, ['10.30.0.1/24']));
    assert.equal(hostBits.exitCode, 2);
  });

  test('an expired session is pruned by the next request, whatever it is', async () => {
    const file = join(fx.config.facts.paths.ccdDir, S);
    assert.ok(existsSync(file));
    const later = new Date((inAnHour() + 10) * 1000);
    await call('health', undefined, later);
    assert.equal(existsSync(file), false);
    assert.equal((await call(`vpn_user_delete ${S}`)).reply.changed, false);
  });

  test('vpn_user_delete removes the file; terminate_session without OpenVPN kills 0', async () => {
    const id = `s-${randomBytes(16).toString('hex')}`;
    await call(`vpn_user_create ${id}`, ccd(inAnHour()));
    const del = await call(`vpn_user_delete ${id}`);
    assert.deepEqual([del.reply.changed, del.reply.result], [true, { killed: 0 }]);
    assert.equal(existsSync(join(fx.config.facts.paths.ccdDir, id)), false);
    const term = await call(`terminate_session ${id}`);
    assert.deepEqual([term.exitCode, term.reply.changed, term.reply.result], [0, false, { killed: 0 }]);
  });

  test('crl_update accepts real CRLs (0644), refuses a certificate dressed as a CRL', async () => {
    const ca = await createTestCa();
    const crl = await buildCrl(ca.intVpn, [], 1n, new Date());
    const ok = await call('crl_update', { crl_pem: [crl] });
    assert.equal(ok.exitCode, 0, JSON.stringify(ok.reply));
    assert.equal(ok.reply.changed, true);
    assert.equal(statSync(fx.config.facts.paths.crl).mode & 0o777, 0o644);
    assert.equal((await call('crl_update', { crl_pem: [crl] })).reply.changed, false);
    const certBody = ca.caPem
      .split('-----END CERTIFICATE-----')[0]
      ?.replace('-----BEGIN CERTIFICATE-----\n', '');
    const fake = `-----BEGIN X509 CRL-----\n${certBody}-----END X509 CRL-----\n`;
    const bad = await call('crl_update', { crl_pem: [fake] });
    assert.equal(bad.exitCode, 2, JSON.stringify(bad.reply));
    assert.equal(readFileSync(fx.config.facts.paths.crl, 'utf8'), crl);
  });

  test('pull_logs audit pages by seq; max_lines above 5000 is invalid', async () => {
    const all = await call('pull_logs audit 5000');
    const lines = (all.reply.result as { lines: string[] }).lines;
    assert.ok(lines.length > 10);
    const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    const after = seqs[2] ?? 0;
    const page = (await call(`pull_logs audit 2 ${after}`)).reply.result as {
      lines: string[];
      next_seq: number;
    };
    assert.deepEqual(
      page.lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
      [after + 1, after + 2],
    );
    assert.equal(page.next_seq, after + 2);
    assert.equal((await call('pull_logs audit 5001')).exitCode, 2);
    assert.equal((await call('pull_logs openvpn 10 5')).exitCode, 2);
    const empty = await call('pull_logs openvpn 10');
    assert.deepEqual(empty.reply.result, { lines: [], next_seq: null });
  });
});
