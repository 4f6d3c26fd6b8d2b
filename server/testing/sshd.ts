// A real OpenSSH sshd for tests of the gateway control plane: loopback only, a fresh Ed25519 host key,
// root login only with a forced command (`PermitRootLogin forced-commands-only`, `command="…",restrict`
// in authorized_keys), modern algorithms only — the shape a gateway node's sshd has. Its files live in
// a 0700 directory under /run, because StrictModes refuses key files below a world-writable /tmp.
// The forced command is a stand-in dispatcher (bash) that records each request line and the number
// of stdin bytes, and answers per verb; a `mode` file switches it to misbehave.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/testkit/ports.js';
import {
  ed25519PublicBlob,
  generateEd25519,
  opensshPrivateKey,
  sshFingerprint,
} from '../services/gateways/openssh-keys.js';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  readonly port: number;
  /** `SHA256:…` of the host key this sshd presents. */
  readonly hostKeyFingerprint: string;
  readonly dir: string;
  /** Lines `<SSH_ORIGINAL_COMMAND>|<stdin bytes>` the stand-in recorded, oldest first. */
  calls(): string[];
  /** default: valid replies; invalid: exit 2 with garbage; bad-reply: exit 0 with a non-protocol reply. */
  setMode(mode: 'default' | 'invalid' | 'bad-reply'): void;
  /** sshd's per-connection processes (children of the listener): killing one drops that connection. */
  connectionPids(): number[];
  stop(): Promise<void>;
}

const HEALTH_RESULT = JSON.stringify({
  version: 'test',
  config_id: null,
  services: {
    fwknopd: { running: true, pid: 11 },
    stunnel: { running: true, pid: 12 },
    openvpn: { running: true, pid: 13 },
  },
  sessions: [],
  spa_keys: 0,
});

function standIn(dir: string): string {
  return `#!/bin/bash
# Stand-in for viworks-gw (tests only): records the request, answers per verb.
set -u
n=$(wc -c)
printf '%s|%s\\n' "\${SSH_ORIGINAL_COMMAND:-}" "$n" >> ${dir}/calls.log
mode=$(cat ${dir}/mode 2>/dev/null || echo default)
verb=\${SSH_ORIGINAL_COMMAND%% *}
if [ "$mode" = invalid ] || [ "$verb" = update_ccd ]; then echo 'not a reply'; exit 2; fi
if [ "$mode" = bad-reply ]; then echo '{"v":2,"ok":true}'; exit 0; fi
case "$verb" in
  health) printf '{"v":1,"ok":true,"cmd":"health","result":%s}\\n' '${HEALTH_RESULT}' ;;
  pull_logs) echo '{"v":1,"ok":true,"cmd":"pull_logs","changed":false,"result":{"lines":[],"next_seq":0}}' ;;
  *) printf '{"v":1,"ok":true,"cmd":"%s","changed":true}\\n' "$verb" ;;
esac
exit 0
`;
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${dir}/ssh_host_ed25519_key`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PermitRootLogin forced-commands-only',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes yes',
    'HostKeyAlgorithms ssh-ed25519',
    'PubkeyAcceptedAlgorithms ssh-ed25519',
    'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org',
    'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
    'MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

/** Starts sshd admitting `clientPublicKeyLine` (an `ssh-ed25519 …` line) with the stand-in as its command. */
export async function startTestSshd(clientPublicKeyLine: string): Promise<TestSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
  const dir = mkdtempSync('/run/viw-test-sshd-');
  const host = generateEd25519();
  writeFileSync(join(dir, 'ssh_host_ed25519_key'), opensshPrivateKey(host, 'test-host'), { mode: 0o600 });
  host.seed.fill(0);
  const script = join(dir, 'viworks-gw-standin');
  writeFileSync(script, standIn(dir), { mode: 0o700 });
  writeFileSync(join(dir, 'authorized_keys'), `command="${script}",restrict ${clientPublicKeyLine}\n`, {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'calls.log'), '', { mode: 0o600 });
  let child: ChildProcess | undefined;
  let port = 0;
  // freePort has a small race with other tests: try a few ports.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, port), { mode: 0o600 });
    child = await spawnListening(dir);
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('sshd did not start');
  }
  const running = child;
  return {
    port,
    hostKeyFingerprint: sshFingerprint(ed25519PublicBlob(host.publicKey)),
    dir,
    calls: () => readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean),
    setMode: (mode) => writeFileSync(join(dir, 'mode'), mode),
    connectionPids: () => childrenOf(running.pid ?? -1),
    stop: async () => {
      if (running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its closing paren.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Spawns sshd and resolves once it listens, or undefined if it exited first (e.g. port taken). */
function spawnListening(dir: string): Promise<ChildProcess | undefined> {
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve) => {
    let log = '';
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('Server listening on 127.0.0.1')) resolve(child);
    });
    child.once('exit', () => {
      if (process.env.VIWORKS_TEST_DEBUG) process.stderr.write(log);
      resolve(undefined);
    });
    child.once('error', () => resolve(undefined));
  });
}
