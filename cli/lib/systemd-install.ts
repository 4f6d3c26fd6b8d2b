// `viworks daemon install`: the `viworks` group (members may use the daemon socket), a systemd unit
// for viworksd, enabled and started. Planned first from what is on disk, so a second run changes
// nothing and --dry-run shows exactly what a real run would do. `root` redirects every path (like
// `systemctl --root` / `groupadd --prefix`) for packaging and tests; nothing is started there.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './output.js';
import type { DaemonInstallResult } from './results.js';

export const UNIT_NAME = 'viworksd.service';
export const SOCKET_GROUP = 'viworks';
type Step = DaemonInstallResult['steps'][number];

/** The unit: root daemon (it manages tunnels and keys), hardened where that does not break it. */
export function unitText(execStart: readonly string[]): string {
  return `# Written by \`viworks daemon install\`; run it again after changing this file by hand.
[Unit]
Description=ViWorkS client daemon (viworksd)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${execStart.join(' ')} --foreground
Restart=on-failure
RestartSec=2s
# /run/viworks holds the socket (0660, group ${SOCKET_GROUP}); /var/lib/viworks the device record.
RuntimeDirectory=viworks
RuntimeDirectoryMode=0750
StateDirectory=viworks
StateDirectoryMode=0700
UMask=0077
# No core dumps: the bootstrap and keys live in memory only.
LimitCORE=0
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes
ProtectSystem=full
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes

[Install]
WantedBy=multi-user.target
`;
}

export interface InstallPlanInput {
  readonly root: string;
  readonly execStart: readonly string[];
  readonly start: boolean;
}

const live = (root: string) => root === '/';
const unitPath = (root: string) => join(root, 'etc/systemd/system', UNIT_NAME);
const wantsLink = (root: string) => join(root, 'etc/systemd/system/multi-user.target.wants', UNIT_NAME);

/** The link itself, not its target (which is absolute, so outside an alternate root). */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function groupExists(root: string): boolean {
  try {
    return readFileSync(join(root, 'etc/group'), 'utf8')
      .split('\n')
      .some((l) => l.split(':')[0] === SOCKET_GROUP);
  } catch {
    return false;
  }
}

function run(cmd: string, args: readonly string[]): { ok: boolean; out: string } {
  try {
    return {
      ok: true,
      out: execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim(),
    };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() };
  }
}

/** What a run would do, from the current state. */
export function planInstall(o: InstallPlanInput): Step[] {
  const path = unitPath(o.root);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const unitChanged = current !== unitText(o.execStart);
  const steps: Step[] = [
    groupExists(o.root)
      ? { step: 'group', action: 'none', detail: `group ${SOCKET_GROUP} exists` }
      : { step: 'group', action: 'create', detail: `groupadd --system ${SOCKET_GROUP}` },
    { step: 'unit', action: current === null ? 'create' : unitChanged ? 'update' : 'none', detail: path },
  ];
  if (!live(o.root)) steps.push({ step: 'daemon-reload', action: 'skip', detail: 'alternate root' });
  else
    steps.push({
      step: 'daemon-reload',
      action: unitChanged ? 'run' : 'none',
      detail: 'systemctl daemon-reload',
    });
  steps.push(
    isLink(wantsLink(o.root))
      ? { step: 'enable', action: 'none', detail: `${UNIT_NAME} is enabled` }
      : { step: 'enable', action: 'run', detail: `systemctl enable ${UNIT_NAME}` },
  );
  steps.push(startStep(o, unitChanged));
  return steps;
}

function startStep(o: InstallPlanInput, unitChanged: boolean): Step {
  if (!o.start) return { step: 'start', action: 'skip', detail: '--no-start' };
  if (!live(o.root)) return { step: 'start', action: 'skip', detail: 'alternate root' };
  const system = run('systemctl', ['is-system-running']).out;
  if (system === 'offline' || system === '' || /not been booted|Failed to connect/.test(system)) {
    return { step: 'start', action: 'skip', detail: 'systemd is not running here: start viworksd yourself' };
  }
  const active = run('systemctl', ['is-active', '--quiet', UNIT_NAME]).ok;
  if (active && !unitChanged) return { step: 'start', action: 'none', detail: `${UNIT_NAME} is running` };
  return { step: 'start', action: 'run', detail: `systemctl ${active ? 'restart' : 'start'} ${UNIT_NAME}` };
}

/** Carries out the steps that change something; the first failure stops with its code. */
export function applyInstall(o: InstallPlanInput, steps: readonly Step[]): void {
  const rootArgs = live(o.root) ? [] : [`--root=${o.root}`];
  for (const s of steps) {
    if (s.action === 'none' || s.action === 'skip') continue;
    if (s.step === 'unit') {
      mkdirSync(join(o.root, 'etc/systemd/system'), { recursive: true, mode: 0o755 });
      writeFileSync(unitPath(o.root), unitText(o.execStart), { mode: 0o644 });
      continue;
    }
    const [cmd, ...args]: string[] =
      s.step === 'group'
        ? ['groupadd', '--system', ...(live(o.root) ? [] : ['--prefix', o.root]), SOCKET_GROUP]
        : ['systemctl', ...rootArgs, ...s.detail.split(' ').slice(1)];
    const r = run(cmd ?? '', args);
    if (!r.ok) {
      const code = s.step === 'start' ? 'VIW_E_DAEMON_UNAVAILABLE' : 'VIW_E_CONFIG';
      throw new CliError(code, {
        message: `${s.step}: \`${s.detail}\` failed`,
        hint:
          s.step === 'start'
            ? 'See `journalctl -u viworksd`.'
            : 'Fix the cause and run it again: it resumes.',
        details: r.out ? [r.out.split('\n')[0]?.slice(0, 200) ?? ''] : [],
      });
    }
  }
}
