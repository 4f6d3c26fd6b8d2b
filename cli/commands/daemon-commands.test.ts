// status, version, device show, preflight, logs, disconnect: the CLI's own logic (flags, output,
// exit codes) through the real LocalClient against a fake local API on a temp Unix socket.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NETWORK_UNMANAGED } from '../../core/api/local.js';
import { POSTURE_UNHARDENED } from '../../core/api/posture.js';
import { packageVersion } from '../../core/localclient/index.js';
import * as R from '../lib/results.js';
import { assertSchema, errJson, okJson } from '../testing/assert.js';
import { type FakeDaemon, startFakeDaemon } from '../testing/fake-daemon.js';
import { runCommand } from '../testing/run.js';
import DeviceShow from './device/show.js';
import Disconnect from './disconnect.js';
import Logs from './logs.js';
import Preflight from './preflight.js';
import StatusCmd from './status.js';
import VersionCmd from './version.js';

const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('daemon commands (fake local API)', () => {
  let fake: FakeDaemon;
  let sock: string[];
  before(async () => {
    fake = await startFakeDaemon();
    sock = ['--socket', fake.socketPath];
  });
  after(async () => fake.stop());

  it('status: one Status object with --json, a summary without', async () => {
    const s = okJson(await runCommand(StatusCmd, [...sock, '--json']), R.StatusResultSchema);
    assert.equal(s.state, 'enrolled');
    const text = await runCommand(StatusCmd, sock);
    assert.equal(text.exitCode, 0);
    assert.match(
      text.stdout,
      /^State: {4}enrolled\nDevice: {3}0190f3c2-.* \(active, software key in file\) for alice/,
    );
  });

  it('status: the network protection — kill switch, the session DNS, the leak checks (text and --json)', async () => {
    const network: R.StatusResult['network'] = {
      kill_switch: { ...NETWORK_UNMANAGED.kill_switch, mode: 'session', active: true, available: true },
      dns: {
        method: 'systemd-resolved',
        servers: ['10.8.0.1', '10.8.0.2'],
        search_domains: ['corp.example'],
        interface: 'tun0',
      },
      leak_check: { interval_s: 30, checks: 3, last_at: '2026-01-02T03:04:35.000Z', leak: null },
    };
    const session = {
      session_id: 's-1',
      gateway_fqdn: 'gw.test',
      connected_at: '2026-01-02T03:04:05.000Z',
      expires_at: '2026-01-02T11:04:05.000Z',
      virtual_ip: '10.8.0.6',
      browser: null,
    };
    fake.setState('connected', { session, network: structuredClone(network) });
    try {
      const s = okJson(await runCommand(StatusCmd, [...sock, '--json']), R.StatusResultSchema);
      assert.deepEqual(s.network, network);
      const text = (await runCommand(StatusCmd, sock)).stdout;
      assert.match(text, /^Network: {2}kill switch session, active, LAN blocked$/m);
      assert.match(
        text,
        /^DNS: {6}10\.8\.0\.1, 10\.8\.0\.2 \(search corp\.example\) via systemd-resolved on tun0$/m,
      );
      assert.match(
        text,
        /^Leaks: {4}checked every 30 s \(3 so far, last 2026-01-02T03:04:35\.000Z\): no leak$/m,
      );
      // A leak found, and the switch held after the session was lost; no session DNS any more.
      fake.setState('error', {
        session: null,
        network: {
          ...network,
          kill_switch: { ...network.kill_switch, holding: 'after_failure' },
          dns: null,
          leak_check: {
            interval_s: 30,
            checks: 4,
            last_at: '2026-01-02T03:05:05.000Z',
            leak: 'resolver_changed',
          },
        },
      });
      const lost = (await runCommand(StatusCmd, sock)).stdout;
      assert.match(
        lost,
        /^Network: {2}kill switch session, active, held after a lost session \(`viworks disconnect` releases it\), LAN blocked$/m,
      );
      assert.doesNotMatch(lost, /^DNS:/m);
      assert.match(lost, /: LEAK: resolver_changed$/m);
      // Connected without pushed DNS, the kill switch off and nftables missing (the fake's default).
      fake.setState('connected', { session, network: NETWORK_UNMANAGED });
      const bare = (await runCommand(StatusCmd, sock)).stdout;
      assert.match(bare, /^Network: {2}kill switch off, nftables not available \(install it\)$/m);
      assert.match(bare, /^DNS: {6}unchanged \(no DNS pushed, or not managed by this daemon\)$/m);
      assert.doesNotMatch(bare, /^Leaks:/m);
    } finally {
      fake.setState('enrolled', { session: null, network: NETWORK_UNMANAGED });
    }
  });

  it('status: the process hardening on one Hardening line (text) and as `posture` (--json)', async () => {
    const hardened: R.StatusResult['posture'] = {
      dumpable: false,
      core_limit_zero: true,
      mlock: 'unavailable',
      no_new_privs: true,
      tracer: false,
    };
    const bare = (await runCommand(StatusCmd, sock)).stdout;
    assert.match(
      bare,
      /^Hardening: DUMPABLE, CORE DUMPS ALLOWED, NEW PRIVILEGES ALLOWED, memory not locked \(unavailable\), no debugger$/m,
    );
    fake.setState('enrolled', { posture: hardened });
    try {
      const s = okJson(await runCommand(StatusCmd, [...sock, '--json']), R.StatusResultSchema);
      assert.deepEqual(s.posture, hardened);
      assert.match(
        (await runCommand(StatusCmd, sock)).stdout,
        /^Hardening: not dumpable, core dumps off, no new privileges, memory not locked \(unavailable\), no debugger$/m,
      );
      fake.setState('enrolled', { posture: { ...hardened, mlock: 'locked', tracer: true } });
      assert.match(
        (await runCommand(StatusCmd, sock)).stdout,
        /^Hardening: .*, memory locked, DEBUGGER ATTACHED$/m,
      );
    } finally {
      fake.setState('enrolled', { posture: POSTURE_UNHARDENED });
    }
  });

  it('status --watch --json: one Status per line until interrupted, then exit 0', async () => {
    const opened = fake.streamOpened();
    const running = runCommand(StatusCmd, [...sock, '--watch', '--json']);
    await opened;
    fake.setState('logging_in');
    fake.setState('otp_pending');
    await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT');
    const r = await running;
    assert.equal(r.exitCode, 0);
    const got = lines(r.stdout).map((l) => assertSchema(R.StatusResultSchema, l).state);
    assert.deepEqual(got, ['enrolled', 'logging_in', 'otp_pending']);
    fake.setState('enrolled');
  });

  it('status --watch (text): a change of the kill switch is named on its line', async () => {
    const opened = fake.streamOpened();
    const running = runCommand(StatusCmd, [...sock, '--watch']);
    await opened;
    fake.setKillSwitch({ mode: 'always', available: true, active: true, holding: 'always' });
    fake.setState('logging_in');
    await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT');
    const r = await running;
    fake.setState('enrolled', { network: NETWORK_UNMANAGED });
    const changes = r.stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
    assert.equal(changes.length, 2, r.stdout);
    assert.match(
      changes[0] ?? '',
      / {2}enrolled {2}kill switch always, active between sessions, LAN blocked$/,
    );
    assert.match(changes[1] ?? '', / {2}logging_in$/, 'unchanged: not repeated');
  });

  it('the daemon down: exit 6 with code and hint (JSON and text)', async () => {
    const gone = ['--socket', join(fake.socketPath, '..', 'nothing-here.sock')];
    const e = errJson(await runCommand(StatusCmd, [...gone, '--json']), 6, 'VIW_E_DAEMON_UNAVAILABLE');
    assert.match(e.hint, /systemctl start viworksd/);
    const text = await runCommand(StatusCmd, gone);
    assert.equal(text.exitCode, 6);
    assert.equal(text.stdout, '');
    assert.match(text.stderr, /^viworks: VIW_E_DAEMON_UNAVAILABLE: .*\n {2}hint: Start it/);
    // version still answers for the client, and says why the daemon did not.
    const v = okJson(await runCommand(VersionCmd, [...gone, '--json']), R.VersionResultSchema);
    assert.equal(v.client_version, packageVersion());
    assert.equal(v.daemon_version, null);
    assert.equal(v.daemon_error?.code, 'VIW_E_DAEMON_UNAVAILABLE');
  });

  it('version: client and daemon', async () => {
    const v = okJson(await runCommand(VersionCmd, [...sock, '--json']), R.VersionResultSchema);
    assert.deepEqual([v.daemon_version, v.local_api_version, v.compatible], [packageVersion(), 1, true]);
  });

  it('device show: enrolled, and not enrolled (exit 0, enrolled false)', async () => {
    const d = okJson(await runCommand(DeviceShow, [...sock, '--json']), R.DeviceShowResultSchema);
    assert.equal(d.device?.username, 'alice');
    const bare = await startFakeDaemon(null);
    try {
      const none = okJson(
        await runCommand(DeviceShow, ['--socket', bare.socketPath, '--json']),
        R.DeviceShowResultSchema,
      );
      assert.deepEqual(none, { v: 1, enrolled: false, device: null });
    } finally {
      await bare.stop();
    }
  });

  it('preflight: the result either way; exit 4 when a check fails', async () => {
    okJson(await runCommand(Preflight, [...sock, '--json']), R.PreflightResultSchema);
    fake.preflight = {
      v: 1,
      ok: false,
      checks: [{ name: 'no_other_vpn', ok: false, code: 'VIW_E_PREFLIGHT', detail: 'tun0 is up' }],
    };
    const r = await runCommand(Preflight, [...sock, '--json']);
    assert.equal(r.exitCode, 4);
    assert.equal(assertSchema(R.PreflightResultSchema, JSON.parse(r.stdout)).ok, false);
    const text = await runCommand(Preflight, sock);
    assert.equal(text.exitCode, 4);
    assert.match(text.stdout, /FAIL {2}no_other_vpn +VIW_E_PREFLIGHT: tun0 is up/);
  });

  it('logs: kept lines; --follow streams one object per line until interrupted', async () => {
    const kept = okJson(await runCommand(Logs, [...sock, '--json']), R.LogsResultSchema);
    assert.equal(kept.lines[0]?.msg, 'viworksd started');
    const opened = fake.streamOpened();
    const running = runCommand(Logs, [...sock, '--follow', '--json']);
    await opened;
    fake.addLog({ at: new Date().toISOString(), level: 'warn', msg: 'spa: retry', state: 'spa' });
    await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT');
    const r = await running;
    assert.equal(r.exitCode, 0);
    const got = lines(r.stdout).map((l) => assertSchema(R.LogsResultSchema, l).lines[0]?.msg);
    assert.deepEqual(got, ['viworksd started', 'spa: retry']);
  });

  it('disconnect: says whether a tunnel was up', async () => {
    const idle = okJson(await runCommand(Disconnect, [...sock, '--json']), R.DisconnectResultSchema);
    assert.equal(idle.was_connected, false);
    fake.setState('connected', {
      session: {
        session_id: 's-1',
        gateway_fqdn: 'gw',
        connected_at: null,
        expires_at: 'x',
        virtual_ip: null,
        browser: null,
      },
    });
    const up = okJson(await runCommand(Disconnect, [...sock, '--json']), R.DisconnectResultSchema);
    assert.deepEqual(up, { v: 1, state: 'enrolled', was_connected: true });
  });
});
