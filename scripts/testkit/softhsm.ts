// A throwaway PKCS#11 token for tests: Debian's SoftHSM2 (2.6) with a private SOFTHSM2_CONF whose
// token directory is a fresh temp dir, initialized by softhsm2-util with random SO and user PINs.
//
// softhsm2-util takes a PIN from argv (--pin/--so-pin) or from a terminal: with a plain pipe on
// stdin it stops ("Could not get SO PIN", its tcgetattr fails). So that no PIN ever reaches a
// process's argv, the tool runs under util-linux `script` (a pseudo-terminal) and each PIN is typed
// in answer to its prompt. The user PIN is also written to <dir>/user.pin (0600): what `hsm.pinFile`
// points at.
//
// SoftHSM reads SOFTHSM2_CONF when the module is initialized: a test that loads the module in its
// own process calls useSoftHsmToken(token) BEFORE openHsm (one token per test file is simplest);
// child processes get `token.env`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPeers, type PeerCheck } from './peers.js';

export const SOFTHSM_UTIL = '/usr/bin/softhsm2-util';
/** util-linux `script`: the pseudo-terminal softhsm2-util reads its PINs from. */
export const SCRIPT = '/usr/bin/script';
export const SOFTHSM_APT = 'softhsm2 util-linux';
/** Where Debian's libsofthsm2 puts the module (a link into the multiarch directory). */
export const SOFTHSM_MODULE_PATHS = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
] as const;

export function softHsmModule(): string | undefined {
  return SOFTHSM_MODULE_PATHS.find((p) => existsSync(p));
}

/** node:test `skip` for tests that need SoftHSM2 (a failure in CI, see peers.ts). */
export function softHsmPeers(): PeerCheck {
  // The module is a shared object (mode 0644): needPeers checks executables, so name it only when absent.
  return needPeers({
    binaries: [SOFTHSM_UTIL, SCRIPT, ...(softHsmModule() ? [] : ['libsofthsm2.so'])],
    apt: SOFTHSM_APT,
  });
}

export interface SoftHsmToken {
  /** The PKCS#11 module to load. */
  readonly module: string;
  readonly tokenLabel: string;
  /** The user PIN, in a 0600 file (the `hsm.pinFile` setting). */
  readonly pinFile: string;
  /** process.env with SOFTHSM2_CONF pointing at this token's configuration, for child processes. */
  readonly env: NodeJS.ProcessEnv;
  /** The temp dir holding the configuration, the token directory and the PIN file. */
  readonly dir: string;
  destroy(): Promise<void>;
}

const LABEL = /^[A-Za-z0-9._-]{1,32}$/;

/** Types each PIN when its prompt appears; resolves with the tool's exit code and (PIN-free) output. */
function initToken(conf: string, label: string, soPin: string, userPin: string) {
  const answers: [RegExp, string][] = [
    [/Please enter SO PIN: $/, soPin],
    [/Please reenter SO PIN: $/, soPin],
    [/Please enter user PIN: $/, userPin],
    [/Please reenter user PIN: $/, userPin],
  ];
  const child = spawn(SCRIPT, ['-qec', `${SOFTHSM_UTIL} --init-token --free --label ${label}`, '/dev/null'], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let next = 0;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    const answer = answers[next];
    if (answer?.[0].test(output)) {
      next++;
      child.stdin.write(`${answer[1]}\n`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }, 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      // A PIN may have been echoed before the tool turned echo off: never hand it on.
      resolve({ code, output: output.split(soPin).join('***').split(userPin).join('***') });
    });
  });
}

export async function createSoftHsmToken(opts: { label?: string } = {}): Promise<SoftHsmToken> {
  const module = softHsmModule();
  if (!module) throw new Error(`SoftHSM2 module not found (apt-get install ${SOFTHSM_APT})`);
  const label = opts.label ?? `viw-test-${randomBytes(4).toString('hex')}`;
  if (!LABEL.test(label)) throw new RangeError('token label: 1-32 of [A-Za-z0-9._-]');
  const dir = mkdtempSync(join(tmpdir(), 'viw-softhsm-'));
  chmodSync(dir, 0o700);
  const destroy = async () => rmSync(dir, { recursive: true, force: true });
  try {
    const tokens = join(dir, 'tokens');
    mkdirSync(tokens, { mode: 0o700 });
    const conf = join(dir, 'softhsm2.conf');
    writeFileSync(
      conf,
      `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
      { mode: 0o600 },
    );
    const soPin = randomBytes(12).toString('hex');
    const userPin = randomBytes(12).toString('hex');
    const pinFile = join(dir, 'user.pin');
    writeFileSync(pinFile, `${userPin}\n`, { mode: 0o600 });
    const { code, output } = await initToken(conf, label, soPin, userPin);
    if (code !== 0)
      throw new Error(`softhsm2-util --init-token failed (${code}): ${output.trim().slice(-500)}`);
    return { module, tokenLabel: label, pinFile, env: { ...process.env, SOFTHSM2_CONF: conf }, dir, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/**
 * Points this process's SoftHSM at `token` (SOFTHSM2_CONF). SoftHSM reads the variable when the
 * module is initialized, so call it before openHsm; the module must not be open in this process.
 */
export function useSoftHsmToken(token: SoftHsmToken): void {
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
}
