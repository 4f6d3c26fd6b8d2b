// `viworks killswitch status|on|off|always`: the CLI's own logic (flags, output, hints, exit codes)
// through the real LocalClient against the fake local API (cli/testing/fake-daemon.ts), which
// applies the daemon's rules in small: nftables missing → VIW_E_KILL_SWITCH, off while a session
// requires it → VIW_E_STATE. Every --json output matches its result schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { NETWORK_UNMANAGED } from '../../../core/api/local.js';
import { EXIT } from '../../lib/exit-codes.js';
import { KillSwitchSetResultSchema, KillSwitchStatusResultSchema } from '../../lib/results.js';
import { errJson, okJson } from '../../testing/assert.js';
import { type FakeDaemon, startFakeDaemon } from '../../testing/fake-daemon.js';
import { runCommand } from '../../testing/run.js';
import KillSwitchAlways from './always.js';
import KillSwitchOff from './off.js';
import KillSwitchOn from './on.js';
import KillSwitchStatus from './status.js';

const SESSION = {
  session_id: 's-1',
  gateway_fqdn: 'gw.test',
  connected_at: '2026-01-02T03:04:05.000Z',
  expires_at: '2026-01-02T11:04:05.000Z',
  virtual_ip: '10.8.0.6',
  browser: null,
};

describe('viworks killswitch (fake local API)', () => {
  let fake: FakeDaemon;
  let sock: string[];
  before(async () => {
    fake = await startFakeDaemon();
    sock = ['--socket', fake.socketPath];
  });
  after(async () => fake.stop());
  beforeEach(() => {
    // A managed daemon with nftables, the default mode, not connected.
    fake.setState('enrolled', { session: null, network: NETWORK_UNMANAGED });
    fake.setKillSwitch({ mode: 'session', available: true });
    fake.failKillSwitch = null;
    fake.requests.length = 0;
  });

  const posted = () =>
    fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/kill-switch').map((r) => r.body);

  it('status --json: exactly {v, kill_switch}; text explains mode, activity, LAN, availability, policy', async () => {
    const r = okJson(await runCommand(KillSwitchStatus, [...sock, '--json']), KillSwitchStatusResultSchema);
    assert.deepEqual(r, {
      v: 1,
      kill_switch: {
        mode: 'session',
        allow_lan: false,
        active: false,
        holding: null,
        available: true,
        required: false,
      },
    });
    const text = await runCommand(KillSwitchStatus, sock);
    assert.equal(text.exitCode, 0);
    assert.equal(text.stderr, '');
    assert.equal(
      text.stdout,
      [
        'Mode:       session — from each connect until you disconnect (kept through tunnel restarts and a lost session)',
        'Active:     no — goes up at the next connect',
        'LAN:        blocked while active (--allow-lan lets printers, NAS… through)',
        'Available:  yes (nftables)',
        'Policy:     not required',
        '',
      ].join('\n'),
    );
    assert.deepEqual(posted(), [], 'status changes nothing');
  });

  it('status: held after a lost session, nftables missing, required by policy', async () => {
    fake.setKillSwitch({ active: true, holding: 'after_failure', required: true });
    const held = await runCommand(KillSwitchStatus, sock);
    assert.match(held.stdout, /^Active: {5}yes — held after a lost session: .* until `viworks disconnect`$/m);
    assert.match(held.stdout, /^Policy: {5}required by your organisation's policy/m);
    fake.setKillSwitch({ active: false, holding: null, required: false, available: false });
    const missing = await runCommand(KillSwitchStatus, sock);
    assert.match(
      missing.stdout,
      /^Available: {2}no — install nftables \(sudo apt-get install nftables\) and restart viworksd .*connecting is refused \(fail closed\)$/m,
    );
    assert.match(missing.stdout, /^Active: {5}no$/m);
  });

  it('always --allow-lan --json: the new state, what it was, changed; the request carries the LAN choice', async () => {
    const r = okJson(
      await runCommand(KillSwitchAlways, [...sock, '--allow-lan', '--json']),
      KillSwitchSetResultSchema,
    );
    assert.deepEqual(r.previous, { mode: 'session', allow_lan: false });
    assert.equal(r.changed, true);
    assert.deepEqual(
      [r.kill_switch.mode, r.kill_switch.allow_lan, r.kill_switch.active, r.kill_switch.holding],
      ['always', true, true, 'always'],
    );
    assert.deepEqual(posted(), [{ mode: 'always', allow_lan: true }]);
  });

  it('on (text): mode session, LAN unchanged when no flag is given; --no-allow-lan sends false', async () => {
    fake.setKillSwitch({ mode: 'always', allow_lan: true, active: true, holding: 'always' });
    const text = await runCommand(KillSwitchOn, sock);
    assert.equal(text.exitCode, 0, text.stderr);
    assert.match(text.stdout, /^Kill switch: session \(was always\)\.\nMode: {7}session — /);
    assert.match(text.stdout, /^LAN: {8}allowed — local networks/m);
    const again = okJson(
      await runCommand(KillSwitchOn, [...sock, '--no-allow-lan', '--json']),
      KillSwitchSetResultSchema,
    );
    assert.equal(again.changed, true, 'LAN access changed');
    assert.equal(again.kill_switch.allow_lan, false);
    assert.deepEqual(posted(), [{ mode: 'session' }, { mode: 'session', allow_lan: false }]);
    const same = await runCommand(KillSwitchOn, sock);
    assert.match(same.stdout, /^Kill switch: session \(unchanged\)\./);
  });

  it('off: removed; while connected with the policy requiring it → VIW_E_STATE, exit 4, hint to disconnect', async () => {
    const r = okJson(await runCommand(KillSwitchOff, [...sock, '--json']), KillSwitchSetResultSchema);
    assert.deepEqual([r.kill_switch.mode, r.kill_switch.active, r.changed], ['off', false, true]);

    fake.setKillSwitch({ mode: 'session', active: true, required: true });
    fake.setState('connected', { session: SESSION });
    const e = errJson(await runCommand(KillSwitchOff, [...sock, '--json']), EXIT.policy, 'VIW_E_STATE');
    assert.match(e.message, /policy requires the kill switch/);
    assert.match(e.hint, /`viworks disconnect` first/);
    const text = await runCommand(KillSwitchOff, sock);
    assert.equal(text.exitCode, EXIT.policy);
    assert.equal(text.stdout, '');
    assert.match(
      text.stderr,
      /^viworks: VIW_E_STATE: .*\n {2}hint: The session's policy requires the kill switch/,
    );
    assert.equal(fake.status.network.kill_switch.mode, 'session', 'nothing changed');
  });

  it('on/always without nftables → VIW_E_KILL_SWITCH, exit 4, hint to install nftables and restart viworksd', async () => {
    fake.setKillSwitch({ mode: 'off', available: false });
    for (const Cmd of [KillSwitchOn, KillSwitchAlways]) {
      const e = errJson(await runCommand(Cmd, [...sock, '--json']), EXIT.policy, 'VIW_E_KILL_SWITCH');
      assert.match(e.hint, /sudo apt-get install nftables.*sudo systemctl restart viworksd/);
    }
    const text = await runCommand(KillSwitchOn, sock);
    assert.equal(text.exitCode, EXIT.policy);
    assert.match(text.stderr, /^viworks: VIW_E_KILL_SWITCH: .*\n {2}hint: viworksd cannot use nftables here/);
    // nft refusing with nftables present: the daemon's own hint stands.
    fake.setKillSwitch({ available: true });
    fake.failKillSwitch = 'VIW_E_KILL_SWITCH';
    const e = errJson(await runCommand(KillSwitchOn, [...sock, '--json']), EXIT.policy, 'VIW_E_KILL_SWITCH');
    assert.match(e.hint, /viworks killswitch status/);
  });

  it('the daemon down: exit 6; a bad flag: exit 2', async () => {
    const gone = ['--socket', join(fake.socketPath, '..', 'nothing-here.sock')];
    errJson(await runCommand(KillSwitchStatus, [...gone, '--json']), EXIT.daemon, 'VIW_E_DAEMON_UNAVAILABLE');
    errJson(await runCommand(KillSwitchOn, [...gone, '--json']), EXIT.daemon, 'VIW_E_DAEMON_UNAVAILABLE');
    errJson(await runCommand(KillSwitchOn, [...sock, '--lan', '--json']), EXIT.usage, 'VIW_E_VALIDATION');
    assert.deepEqual(posted(), []);
  });
});

it('help: the topic is registered, every command lists --json, the setters --[no-]allow-lan', async () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  pjson.oclif = { ...pjson.oclif, commands: './cli/commands' };
  const config = await Config.load({ root, pjson });
  assert.ok(config.topics.some((t) => t.name === 'killswitch' && t.description));
  for (const verb of ['status', 'on', 'off', 'always']) {
    const cmd = config.findCommand(`killswitch:${verb}`);
    assert.ok(cmd, `viworks killswitch ${verb}`);
    assert.ok(cmd.flags.json, `${verb}: --json in its help`);
    assert.equal(Boolean(cmd.flags['allow-lan']), verb !== 'status', `${verb}: --allow-lan`);
    const lan = cmd.flags['allow-lan'];
    if (lan) assert.ok(lan.type === 'boolean' && lan.allowNo, `${verb}: --no-allow-lan`);
  }
});
