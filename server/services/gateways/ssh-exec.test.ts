// The control channel against a REAL OpenSSH sshd (loopback, forced command = a stand-in dispatcher):
// host-key pinning, the control key made by loadOrCreateControlKey, stdin delivery, exit statuses,
// reply validation, retries only when the node was unreachable, and one audit event per attempt.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuditEvent, parseAuditEvent } from '../../../core/audit/event.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { freePort } from '../../../scripts/testkit/ports.js';
import { type ControlFixture, startControlFixture } from '../../testing/gateway-control.js';
import { SSHD, type TestSshd } from '../../testing/sshd.js';
import { controlKeyDir, loadOrCreateControlKey } from './control-key.js';
import { type GatewayRef, type RunnerDeps, runControl } from './runner.js';

const peer = needPeers({ binaries: [SSHD], root: true, apt: 'openssh-server' });

describe('gateway control over SSH (real sshd)', { skip: peer.skip }, () => {
  let fx: ControlFixture;
  let dir: string;
  let database: ControlFixture['database'];
  let sshd: TestSshd;
  let deps: RunnerDeps;
  let gw: GatewayRef;
  const session = `s-${randomBytes(16).toString('hex')}`;

  before(async () => {
    fx = await startControlFixture('gw-test');
    ({ dir, database, sshd, gw } = fx);
    deps = { audit: fx.audit, privateKey: fx.key.readPrivateKey, retry: { attempts: 3, baseDelayMs: 10 } };
  });
  after(() => fx?.close());

  /** Audit events recorded since `fromSeq`, oldest first. */
  const eventsAfter = async (fromSeq: bigint): Promise<Array<AuditEvent & { seq: bigint }>> =>
    (await database.db.auditEvent.findMany({ where: { seq: { gt: fromSeq } }, orderBy: { seq: 'asc' } })).map(
      (r) => ({ ...parseAuditEvent(JSON.parse(r.event)), seq: r.seq }),
    );
  const lastSeq = async () =>
    (await database.db.auditEvent.findFirst({ orderBy: { seq: 'desc' } }))?.seq ?? 0n;
  const rejectsWith = async (p: Promise<unknown>, code: string) =>
    assert.rejects(p, (err: unknown) => isViworksError(err) && err.code === code);

  it('made the control key private (0700 dir, 0600 key) and stable across loads', () => {
    assert.equal(statSync(controlKeyDir(dir)).mode & 0o777, 0o700);
    assert.equal(statSync(join(controlKeyDir(dir), 'control_ed25519')).mode & 0o777, 0o600);
    const line = loadOrCreateControlKey(dir).publicKeyLine;
    assert.match(line, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+=* viworks-backend$/);
    assert.equal(loadOrCreateControlKey(dir).publicKeyLine, line);
  });

  it('pinned host key: runs the verb, parses the reply, audits the attempt (cmd, rc, duration)', async () => {
    const from = await lastSeq();
    const reply = await runControl(deps, gw, { verb: 'health', args: [] });
    assert.equal(reply.ok, true);
    assert.equal((reply.result as { version: string }).version, 'test');
    assert.equal(sshd.calls().at(-1), 'health|0');
    const [event, ...more] = await eventsAfter(from);
    assert.equal(more.length, 0);
    assert.equal(event?.action, 'gateway.health');
    assert.equal(event?.component, 'gateway');
    assert.equal(event?.result, 'success');
    assert.equal(event?.cmd, 'health');
    assert.equal(event?.rc, 0);
    assert.equal(typeof event?.duration_ms, 'number');
  });

  it('stdin: the JSON document arrives on stdin, never on the command line or in the audit', async () => {
    const from = await lastSeq();
    const stdin = { push_routes: ['10.20.0.0/16'], expires_at: 2_000_000_000 };
    await runControl(deps, gw, { verb: 'vpn_user_create', args: [session], stdin });
    assert.equal(
      sshd.calls().at(-1),
      `vpn_user_create ${session}|${Buffer.byteLength(JSON.stringify(stdin))}`,
    );
    const text = JSON.stringify((await eventsAfter(from)).map(({ seq: _seq, ...event }) => event));
    assert.ok(!text.includes('10.20.0.0'), 'stdin content is not audited');
  });

  it('another host key: VIW_E_GATEWAY_HOSTKEY before the command runs, audited as critical', async () => {
    const from = await lastSeq();
    const calls = sshd.calls().length;
    const wrong = { ...gw, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` };
    await rejectsWith(runControl(deps, wrong, { verb: 'health', args: [] }), 'VIW_E_GATEWAY_HOSTKEY');
    assert.equal(sshd.calls().length, calls, 'nothing ran on the node');
    const events = await eventsAfter(from);
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.severity]),
      [
        ['gateway.health', 'denied', 'warning'],
        ['gateway.hostkey_mismatch', 'denied', 'critical'],
      ],
      'one attempt, no retry',
    );
    assert.equal(events[1]?.error_code, 'VIW_E_GATEWAY_HOSTKEY');
  });

  it('empty pin: VIW_E_GATEWAY_NOT_READY without connecting (never trust on first use)', async () => {
    const calls = sshd.calls().length;
    await rejectsWith(
      runControl(deps, { ...gw, hostKeyFingerprint: '' }, { verb: 'health', args: [] }),
      'VIW_E_GATEWAY_NOT_READY',
    );
    assert.equal(sshd.calls().length, calls);
  });

  it('exit 2 (invalid request): VIW_E_GATEWAY_COMMAND, no retry, rc audited', async () => {
    const from = await lastSeq();
    const calls = sshd.calls().length;
    await rejectsWith(
      runControl(deps, gw, {
        verb: 'update_ccd',
        args: [session],
        stdin: { push_routes: [], expires_at: 1 },
      }),
      'VIW_E_GATEWAY_COMMAND',
    );
    assert.equal(sshd.calls().length, calls + 1, 'exactly one attempt');
    const events = await eventsAfter(from);
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.rc, e.error_code]),
      [['gateway.update_ccd', 'error', 2, 'VIW_E_GATEWAY_COMMAND']],
    );
  });

  it('a reply that fails the protocol schema is an error, even with exit 0', async () => {
    sshd.setMode('bad-reply');
    try {
      await rejectsWith(runControl(deps, gw, { verb: 'health', args: [] }), 'VIW_E_GATEWAY_COMMAND');
    } finally {
      sshd.setMode('default');
    }
  });

  it('a request that breaks the grammar is refused here, before any connection', async () => {
    const calls = sshd.calls().length;
    await rejectsWith(
      runControl(deps, gw, { verb: 'terminate_session', args: ['s-1; rm -rf /'] }),
      'VIW_E_INTERNAL',
    );
    await rejectsWith(runControl(deps, gw, { verb: 'crl_update', args: [] }), 'VIW_E_INTERNAL');
    assert.equal(sshd.calls().length, calls);
  });

  it('sshd down: VIW_E_GATEWAY_UNREACHABLE after 3 attempts, each one audited', async () => {
    const from = await lastSeq();
    const down = { ...gw, port: await freePort() };
    await rejectsWith(runControl(deps, down, { verb: 'health', args: [] }), 'VIW_E_GATEWAY_UNREACHABLE');
    const events = await eventsAfter(from);
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.rc, e.error_code]),
      Array.from({ length: 3 }, () => ['gateway.health', 'error', null, 'VIW_E_GATEWAY_UNREACHABLE']),
    );
  });
});
