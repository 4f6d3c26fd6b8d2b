// The viewer's nginx: its own instance (never the system's /etc/nginx nor /run/nginx.pid), started by
// viworks-gw at the first browser_spawn that needs it (`-p <viewer dir>/ -c <its nginx.conf>`, daemon
// on, like the direct-mode launchers: it writes its own pid file) and reloaded after every change of
// a location. Every change is checked with `nginx -t` first, so a bad file never reaches the running
// server; a reload waits until the old workers stopped accepting, so the answer to the verb is the
// state nginx serves.
//
// nginx's messages can quote a location, i.e. a session's random path: whatever of them reaches a
// reply or an error goes through redactViewerPaths first.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { renderViewerServerConf, type ViewerServerConf } from '../render/nginx-conf.js';
import { commNames, runningPid } from '../services/process-check.js';
import { writeFileIfChanged } from '../state/atomic-file.js';
import { NGINX_BIN, type ViewerPaths } from './browser-paths.js';

const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
const COMMAND_TIMEOUT_MS = 20_000;
const SETTLE_TIMEOUT_MS = 10_000;
const POLL_MS = 50;

/** Replaces every viewer path (`/b/<32 base64url>`) in `text`. */
export const redactViewerPaths = (text: string): string =>
  text.replace(/\/b\/[A-Za-z0-9_-]{32}/g, '/b/<redacted>');

function failed(what: string, detail = ''): ViworksError {
  return new ViworksError('VIW_E_GATEWAY_COMMAND', {
    message: `viewer nginx: ${what}`,
    details: detail ? [redactViewerPaths(detail).trim().slice(0, 300)] : [],
  });
}

function run(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      NGINX_BIN,
      args,
      { env: CHILD_ENV, timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (err, _stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ code: err ? (typeof code === 'number' ? code : null) : 0, stderr: String(stderr) });
      },
    );
    child.stdin?.end();
  });
}

const baseArgs = (p: ViewerPaths) => ['-p', `${p.dir}/`, '-c', p.conf];

export const nginxPid = (p: ViewerPaths): number | null => runningPid(p.pidFile, commNames(NGINX_BIN));

/** Writes nginx.conf (0600) and the directories it names; returns whether the file changed. */
export function writeViewerConf(p: ViewerPaths, conf: ViewerServerConf): boolean {
  for (const dir of [p.dir, p.locationsDir, p.tempDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return writeFileIfChanged(p.conf, renderViewerServerConf(conf), 0o600);
}

/** `nginx -t` on the files as they are on disk; VIW_E_GATEWAY_COMMAND with its (redacted) reason. */
export async function testViewerConf(p: ViewerPaths): Promise<void> {
  const r = await run(['-t', '-q', ...baseArgs(p)]);
  if (r.code !== 0) throw failed('the configuration does not pass nginx -t', r.stderr);
}

/** The PIDs of the master's children and whether each still accepts (not "is shutting down"). */
function workersOf(master: number): Map<number, boolean> {
  const workers = new Map<number, boolean>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== master) continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      workers.set(Number(entry), !title.includes('shutting down'));
    } catch {
      // gone meanwhile
    }
  }
  return workers;
}

/** SIGHUP, then wait until a new worker runs and none of the old ones accepts any more. */
async function reload(master: number): Promise<void> {
  const before = new Set(workersOf(master).keys());
  process.kill(master, 'SIGHUP');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const now = workersOf(master);
    const fresh = [...now.keys()].some((pid) => !before.has(pid));
    const oldAccepting = [...now].some(([pid, accepting]) => before.has(pid) && accepting);
    if (fresh && !oldAccepting) return;
    await sleep(POLL_MS);
  }
  throw failed('did not take the new configuration in time');
}

async function start(p: ViewerPaths): Promise<void> {
  const r = await run(baseArgs(p));
  if (r.code !== 0) throw failed(`did not start (exit ${r.code ?? 'signal'})`, r.stderr);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (nginxPid(p) !== null) return;
    await sleep(POLL_MS);
  }
  throw failed('did not come up (no live process behind its pid file)');
}

/**
 * Makes the running nginx serve the files on disk: checks them, then starts nginx when it is not
 * running (`startIfDown`) or reloads it when `changed`. Returns whether it started or reloaded.
 */
export async function applyViewer(
  p: ViewerPaths,
  opts: { readonly changed: boolean; readonly startIfDown: boolean },
): Promise<boolean> {
  const pid = nginxPid(p);
  if (pid === null && !opts.startIfDown) return false;
  if (pid !== null && !opts.changed) return false;
  await testViewerConf(p);
  if (pid === null) await start(p);
  else await reload(pid);
  return true;
}

/**
 * Stops the viewer's nginx at once (SIGTERM: nginx's fast shutdown, which closes open websockets
 * too; SIGQUIT would wait for them). Used when a location cannot be withdrawn by a reload, and by
 * tests.
 */
export async function stopViewer(p: ViewerPaths): Promise<void> {
  const pid = nginxPid(p);
  if (pid === null) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (nginxPid(p) !== null && Date.now() < deadline) await sleep(POLL_MS);
  if (nginxPid(p) !== null) throw failed('did not stop');
}
