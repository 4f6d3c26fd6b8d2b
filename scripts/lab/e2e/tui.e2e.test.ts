// `viworks tui` end to end in the namespace lab, as a person at a terminal uses it: the built CLI
// runs in tmux inside the client namespace (its viworksd, the real backend, the provisioned
// gateway); keys go in with send-keys and the screen is read with capture-pane. The test logs in
// with the phone simulator's code (replacing the demo user's one-time password on the way when the
// TUI asks for it), reaches the connected screen with every step through "OVPN up", saves that
// screen as text to the artifacts folder ($VIWORKS_TEST_ARTIFACTS, default
// <tmp>/viworks-artifacts; never into the repository), disconnects and quits.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalClient } from '../../../core/localclient/index.js';
import { IP, run } from '../../testkit/netns.js';
import { clientEnv, readDemoUser } from '../driver.js';
import { driverStep, labDown, labUp } from '../lab.js';
import { type LabPlan, labPlan } from '../plan.js';
import { repoPath } from '../repo.js';
import { readLabState } from '../state.js';
import { pidsNamed } from '../topology.js';
import { needLabPeers, waitUntil } from './helpers.js';

const LAB_ID = 203;
const TMUX = '/usr/bin/tmux';
const SESSION = `viw-tui-e2e-${process.pid}`;
const peers = needLabPeers({
  binaries: ['/usr/sbin/iptables', '/usr/bin/openssl', TMUX],
  apt: 'iptables openssl tmux',
});

const self = { argv: [process.execPath, repoPath('dist/scripts/lab/cli.js')] };
const artifacts = process.env.VIWORKS_TEST_ARTIFACTS ?? join(tmpdir(), 'viworks-artifacts');
let plan: LabPlan;
let work: string;
let tmuxSocket: string;
let local: LocalClient;
let started = false;

const envArgs = (env: NodeJS.ProcessEnv) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** tmux on this test's own server socket (never the user's default server). */
const tmux = (args: readonly string[]) => run([TMUX, '-S', tmuxSocket, ...args], { timeoutMs: 10_000 });

async function screen(): Promise<string> {
  return (await tmux(['capture-pane', '-p', '-t', SESSION])).stdout;
}

/** Waits until the TUI's screen shows one of `texts`; returns the screen. */
async function screenWith(texts: readonly string[], timeoutMs = 30_000): Promise<string> {
  let last = '';
  try {
    await waitUntil(
      `the TUI to show ${texts.map((t) => `"${t}"`).join(' or ')}`,
      async () => {
        last = await screen();
        return texts.some((t) => last.includes(t));
      },
      timeoutMs,
      200,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; the screen:\n${last}`);
  }
  return last;
}

/** Types text literally (no key names), then lets Ink draw. */
async function type(text: string): Promise<void> {
  await tmux(['send-keys', '-t', SESSION, '-l', text]);
}
async function key(name: string): Promise<void> {
  await tmux(['send-keys', '-t', SESSION, name]);
}

/** The next code the phone simulator shows (other than `previous`), as a person reads it. */
async function phoneCode(previous: string | null): Promise<string> {
  const state = readLabState(plan);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const argv = [IP, 'netns', 'exec', plan.client.ns, '/usr/bin/env', '-i', ...envArgs(clientEnv(plan))];
    argv.push(
      process.execPath,
      repoPath('dist/mobile/sim/viworks-phone.js'),
      'otp',
      '--wait',
      '--timeout',
      '30',
    );
    argv.push('--server', state.backend.url, '--ca', state.backend.caFile);
    argv.push('--pin', state.backend.pins.primary_b64, '--pin', state.backend.pins.backup_b64);
    argv.push('--state', join(plan.dirs.phone, 'phone.json'), '--json');
    const r = await run(argv, { timeoutMs: 60_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let code: string | undefined;
    try {
      code = (JSON.parse(line) as { otp?: { code?: string } | null }).otp?.code;
    } catch {
      code = undefined;
    }
    if (code && code !== previous) return code;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the phone showed no new code');
}

async function enterCode(previous: string | null): Promise<string> {
  await screenWith(['Code expires in']);
  const code = await phoneCode(previous);
  await type(code);
  await screenWith([`Code: ${code}`]);
  await key('Enter');
  return code;
}

describe('viworks tui end to end in the namespace lab', { skip: peers.skip }, () => {
  before(async () => {
    plan = labPlan(LAB_ID);
    work = mkdtempSync(join(tmpdir(), 'viw-tui-e2e-'));
    tmuxSocket = join(work, 'tmux.sock');
    const up = await labUp(LAB_ID, self, (m) => process.stderr.write(`lab: ${m}\n`));
    for (const [k, v] of Object.entries(up.timings_ms)) process.stderr.write(`lab: ${k}: ${v} ms\n`);
    local = new LocalClient({ socketPath: clientEnv(plan).VIWORKSD_SOCKET as string });
    // A user with a bound phone and an enrolled desktop (one-time password still to replace).
    await driverStep(plan, self, 'enroll-demo');
  });
  after(async () => {
    if (started) await tmux(['kill-session', '-t', SESSION]);
    await labDown(LAB_ID);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('logs in with the phone code, reaches the connected screen with OVPN up, disconnects, quits', async () => {
    const demo = readDemoUser(plan);
    // The TUI in a 110×40 terminal inside the client namespace; the shell keeps the pane (and the
    // exit status) visible after it quits.
    const viworks = `${process.execPath} ${repoPath('dist/cli/bin/viworks.js')}`;
    const start = await run(
      [
        IP,
        'netns',
        'exec',
        plan.client.ns,
        '/usr/bin/env',
        '-i',
        ...envArgs({ ...clientEnv(plan), TERM: 'xterm-256color' }),
        TMUX,
        '-S',
        tmuxSocket,
        'new-session',
        '-d',
        '-s',
        SESSION,
        '-x',
        '110',
        '-y',
        '40',
        `/bin/sh -c '${viworks} tui; echo "[viworks tui exited $?]"; sleep 600'`,
      ],
      { timeoutMs: 15_000 },
    );
    assert.equal(start.code, 0, start.stderr);
    started = true;

    await screenWith(['Press c to connect'], 60_000);
    assert.match(await screen(), /user: demo/);
    assert.match(await screen(), /\[c\] connect/);
    await key('c');
    await screenWith(['Password:']);
    await type(demo.password);
    await key('Enter');
    const first = await enterCode(null);

    // The first login replaces the one-time password, then a second code comes to the phone.
    const next = await screenWith(['New password:', 'Connected via', 'Connecting'], 60_000);
    if (next.includes('New password:')) {
      const replaced = `tui-${Date.now().toString(36)}-lab-password`;
      await type(replaced);
      await key('Enter');
      await screenWith(['Again:']);
      await type(replaced);
      await key('Enter');
      await enterCode(first);
    }

    // OpenVPN is up (its step done) a moment before `connected`: the pushed DNS goes on and the
    // first leak checks run in between, so wait for the connected screen itself.
    const connected = await screenWith(['Connected via'], 120_000);
    for (const label of ['Login OK', 'OTP verified', 'Bootstrap received', 'SPA sent', 'TLS ok', 'OVPN up'])
      assert.ok(connected.includes(`✔ ${label}`), `step ${label} done:\n${connected}`);
    assert.match(connected, /Connected via /);
    assert.match(connected, /Tunnel address: \d+\.\d+\.\d+\.\d+/);
    assert.match(connected, /Timings: login \d+ ms/);
    assert.match(connected, /\[d\] disconnect/);
    assert.ok(!connected.includes(demo.password), 'the password is not on screen');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'tui-connected-lab.txt'), connected);
    assert.equal((await local.status()).state, 'connected');
    assert.ok((await pidsNamed(plan.client.ns, 'openvpn')).length > 0, 'OpenVPN runs in the client');

    await key('d');
    await screenWith(['Press c to connect'], 30_000);
    await waitUntil(
      'OpenVPN to stop',
      async () => (await pidsNamed(plan.client.ns, 'openvpn')).length === 0,
      15_000,
    );
    assert.equal((await local.status()).state, 'enrolled');

    await key('q');
    await screenWith(['[viworks tui exited 0]'], 10_000);
  });
});
