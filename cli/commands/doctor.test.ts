// `viworks doctor` → a real viworksd (daemon fixture; its machine facts injected so the result does
// not depend on this host's interfaces) → a real backend over pinned HTTPS. Every --json output
// matches DoctorResultSchema; the exit code is 0 with no failing check, 4 when not enrolled, 6 with
// no daemon (the local checks still run); the report holds no secret and no raw address unless
// --include-addresses (the backend is https://127.0.0.1:…, so its address would show).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DAEMON_DIAGNOSTIC_IDS } from '../../core/api/local.js';
import { containsAddress } from '../../core/diagnostics/redact.js';
import { type DaemonFixture, startDaemonFixture } from '../../daemon/testing/daemon-fixture.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { createToken, createUser } from '../../server/testing/identity-fixtures.js';
import { doctorExitCode, formatDoctor, runDoctor } from '../lib/doctor.js';
import { EXIT } from '../lib/exit-codes.js';
import { type DoctorResult, DoctorResultSchema } from '../lib/results.js';
import { assertSchema } from '../testing/assert.js';
import { type RunOutcome, runCommand } from '../testing/run.js';
import Doctor from './doctor.js';

const USERNAME = 'dora';
const PASSWORD = 'dora correct horse battery 42';

let ts: TestServer;
let d: DaemonFixture;
let dir: string;
let token: string;

before(async () => {
  ts = await startTestServer({ mode: 'development' });
  await createUser(ts, USERNAME, PASSWORD);
  token = await createToken(ts);
  dir = mkdtempSync(join(tmpdir(), 'viw-doctor-'));
  d = await startDaemonFixture({
    diagnostics: {
      tunnels: async () => ({ interfaces: [], routes: [] }),
      tun: async () => ({ platform: 'linux', present: true, charDevice: true }),
      dns: async () => ({ readable: true, nameservers: ['192.0.2.53'], linkTarget: null }),
    },
  });
});
after(async () => {
  await d?.stop();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function doctor(run: RunOutcome<unknown>, exitCode: number): DoctorResult {
  assert.equal(run.exitCode, exitCode, `${run.stdout}${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, 'exactly one JSON line');
  const body = assertSchema(DoctorResultSchema, JSON.parse(lines[0] ?? ''));
  assert.deepEqual(
    body.checks.map((c) => c.id),
    ['daemon', ...DAEMON_DIAGNOSTIC_IDS],
  );
  assert.equal(body.ok, body.counts.fail === 0);
  return body;
}

const byId = (r: DoctorResult) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

describe('viworks doctor', () => {
  it('no daemon behind the socket: exit 6, the daemon check fails with its code and hint, local checks run', async () => {
    const run = await runCommand(Doctor, ['--socket', join(dir, 'none.sock'), '--json']);
    const body = doctor(run, EXIT.daemon);
    const c = byId(body);
    assert.equal(c.daemon?.status, 'fail');
    assert.equal(c.daemon?.code, 'VIW_E_DAEMON_UNAVAILABLE');
    assert.ok((c.daemon?.hint ?? '').length > 0);
    assert.equal(body.daemon_version, null);
    for (const id of ['enrollment', 'backend', 'clock', 'kill_switch', 'last_error'])
      assert.equal(c[id]?.status, 'skip', id);
    for (const id of ['tun_device', 'dns_config']) assert.notEqual(c[id]?.status, 'skip', id);
    assert.equal(containsAddress(run.stdout), false, run.stdout);
  });

  it('a daemon that is not enrolled: exit 4 (VIW_E_DEVICE_UNKNOWN), versions reported', async () => {
    const body = doctor(await runCommand(Doctor, ['--socket', d.socketPath, '--json']), EXIT.policy);
    const c = byId(body);
    assert.equal(c.daemon?.status, 'pass');
    assert.equal(c.daemon?.details?.daemon_version, body.client_version);
    assert.equal(c.enrollment?.code, 'VIW_E_DEVICE_UNKNOWN');
    assert.equal(body.state, 'idle');
  });

  it('enrolled against a real backend: everything passes, exit 0; no secret, no raw address', async () => {
    await d.client.enroll({
      backend_url: `https://127.0.0.1:${ts.server.port}`,
      backend_pins: ts.server.banner.backend_pins,
      ca_pem: ts.ca,
      username: USERNAME,
      password: PASSWORD,
      enrollment_token: token,
    });
    const json = await runCommand(Doctor, ['--socket', d.socketPath, '--json']);
    const body = doctor(json, EXIT.ok);
    const c = byId(body);
    for (const id of ['daemon', 'enrollment', 'device_key', 'backend', 'clock', 'tun_device', 'dns_config']) {
      assert.equal(c[id]?.status, 'pass', JSON.stringify(c[id]));
    }
    assert.equal(c.backend?.details?.pin, 'match');
    assert.equal(typeof c.backend?.details?.rtt_ms, 'number');
    assert.equal(c.gateway_dns?.status, 'skip', 'no connect yet: the gateway is not known');

    const text = await runCommand(Doctor, ['--socket', d.socketPath]);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /^ok {4}backend {7}127\.x\.x\.x~[0-9a-f]{4}:\d+ reachable, pin OK/m);
    // The fixture's daemon manages no network (unprivileged): the kill switch is off and cannot be.
    assert.match(text.stdout, /^WARN {2}kill_switch {3}off: traffic can leave outside the tunnel/m);
    assert.match(text.stdout, /hint: Install nftables .*viworks killswitch on/);
    assert.deepEqual(
      [c.kill_switch?.status, c.kill_switch?.details?.mode, c.kill_switch?.details?.available],
      ['warn', 'off', false],
    );
    const fingerprint = (await d.client.device()).fingerprint;
    for (const out of [json.stdout, text.stdout, json.stderr, text.stderr]) {
      assert.equal(containsAddress(out), false, out);
      for (const secret of [PASSWORD, token, ts.ca.split('\n')[1] ?? 'CA', 'PRIVATE KEY', fingerprint]) {
        assert.ok(!out.includes(secret), `report carries ${secret.slice(0, 12)}…`);
      }
    }
  });

  it('--include-addresses shows them', async () => {
    const run = await runCommand(Doctor, ['--socket', d.socketPath, '--json', '--include-addresses']);
    const body = doctor(run, EXIT.ok);
    assert.equal(body.addresses, 'included');
    assert.ok(run.stdout.includes(`127.0.0.1:${ts.server.port}`));
    assert.ok(run.stdout.includes('192.0.2.53'));
  });

  it('a backend that is down: backend fails, exit 5 (network)', async () => {
    await ts.stop();
    const body = doctor(await runCommand(Doctor, ['--socket', d.socketPath, '--json']), EXIT.network);
    assert.equal(byId(body).backend?.code, 'VIW_E_BACKEND_UNREACHABLE');
  });
});

describe('doctor report format', () => {
  it('prints a block per check with code and hint, and the counts; exit code from the first failure', async () => {
    const client = { version: async () => Promise.reject(new Error('down')) } as never;
    const r = await runDoctor(client, {
      includeAddresses: false,
      now: new Date('2026-01-01T00:00:00Z'),
      probes: {
        tun: async () => ({ platform: 'linux', present: false, charDevice: false }),
        tunnels: async () => ({ interfaces: [], routes: [], tunnelUp: false, source: 'sysfs' }),
        dns: async () => ({ readable: true, nameservers: ['10.9.8.7'], linkTarget: null }),
      },
    });
    assertSchema(DoctorResultSchema, r);
    const text = formatDoctor(r).join('\n');
    assert.match(
      text,
      /^FAIL {2}tun_device {4}\/dev\/net\/tun is missing\n {20}code: VIW_E_PREFLIGHT\n {20}hint: /m,
    );
    assert.match(text, /nameservers=10\.x\.x\.x~[0-9a-f]{4}/);
    assert.match(text, /\d+ passed, 0 warning\(s\), 2 failed, \d+ skipped\./);
    // The daemon fails first (an unknown error is internal: 7), before tun_device's 4.
    assert.equal(doctorExitCode(r), EXIT.internal);
  });
});
