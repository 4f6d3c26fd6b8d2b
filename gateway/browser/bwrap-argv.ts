// The command line that starts a browser sandbox (pure, so every isolation flag is reviewable and
// tested). From the outside in:
//
//   sh (cgroup join)        root, host namespace: moves itself into the sandbox's cgroups, then execs —
//                           so every later process is limited from its first instruction.
//   ip netns exec <ns>      joins the sandbox's network namespace (bwrap gets no new, empty one).
//   setpriv                 drops to the sandbox user (not root), no supplementary groups, no caps.
//   sh (keeper)             stays as bwrap's parent, detached from whoever spawned it: the caller (a
//                           short-lived control-plane verb) may exit, the sandbox lives until the
//                           keeper's process group is killed; --die-with-parent then takes the rest.
//   bwrap                   new user/pid/ipc/uts namespaces, read-only /usr and /etc, tmpfs home,
//                           /tmp, /run and /dev/shm, no capabilities, no_new_privs, the seccomp
//                           program read from SECCOMP_FD, a clean environment, a new session;
//                           Chromium's managed policy copied from POLICY_FD into a read-only
//                           /etc/chromium (chromium-policy.ts).
//   sh (launcher)           Xvfb, x11vnc (unix socket only; clipboard per the policy), Chromium
//                           (kiosk), then execs websockify:
//                           when the viewer goes, pid 1 of the sandbox goes and takes everything.
//
// Session data reaches the launcher only as environment values it quotes ("$VIWORKS_…"), never as
// shell text, and they were checked before (spec.ts).
import { CHROMIUM_ETC, CHROMIUM_POLICY_DIR, CHROMIUM_POLICY_PATH } from './chromium-policy.js';

export const SECCOMP_FD = 3;
/**
 * Chromium's managed policy reaches bwrap as an open file, not a path: bwrap runs as the sandbox
 * user, who may not traverse the node's state directory (0700 root) — an fd opened by root may.
 */
export const POLICY_FD = 4;
export const SANDBOX_HOME = '/home/sandbox';
/** The X display inside the sandbox (each sandbox has its own /tmp and network namespace). */
export const DISPLAY = ':0';
/**
 * The VNC server listens on a unix socket only (no TCP port at all): web content in Chromium can
 * open TCP connections to loopback, never to a unix socket, so a target's page cannot drive the VNC
 * server of its own browser.
 */
export const VNC_SOCKET = '/tmp/vnc.sock';

export const BIN = {
  sh: '/bin/sh',
  ip: '/usr/sbin/ip',
  setpriv: '/usr/bin/setpriv',
  bwrap: '/usr/bin/bwrap',
} as const;

export interface LaunchInput {
  readonly netns: string;
  readonly uid: number;
  readonly gid: number;
  /** cgroup.procs files to join (none when limits are not enforced). */
  readonly cgroupProcs: readonly string[];
  /** The sandbox's veth address: websockify listens there. */
  readonly viewerAddress: string;
  readonly viewerPort: number;
  readonly startUrl: string;
  /** The policy's clipboard switch: x11vnc exchanges the CLIPBOARD selection with the viewer. */
  readonly clipboard: boolean;
}

// Walks the positional parameters up to `--` (the cgroup.procs files), then execs the rest.
const CGROUP_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"';
// Not `exec`: the keeper must stay bwrap's parent (see above), and report bwrap's status.
const KEEPER = '"$@"; exit $?';

/** Chromium flags: kiosk on the start URL, a profile on the tmpfs home, nothing phoning home. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--kiosk',
  '--no-first-run',
  '--no-default-browser-check',
  `--user-data-dir=${SANDBOX_HOME}/profile`,
  '--disable-gpu',
  '--window-position=0,0',
  '--window-size=1280,800',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-breakpad',
  '--no-pings',
  '--password-store=basic',
  '--noerrdialogs',
  '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication',
];

/**
 * x11vnc's selection flags. Off: `-nosel`, no selection or cut buffer is exchanged either way. On:
 * the CLIPBOARD selection both ways (what Ctrl+C / Ctrl+V use), but not PRIMARY (`-noprimary`: a
 * mere highlight in the remote page is not sent to the user; `-nosetprimary`: the user's clipboard
 * does not land in the remote middle-click buffer) — the switch grants copy and paste, nothing more.
 */
export function x11vncClipboardFlags(clipboard: boolean): string[] {
  return clipboard ? ['-noprimary', '-nosetprimary'] : ['-nosel'];
}

const launcher = (clipboard: boolean): string =>
  [
    'set -u',
    `Xvfb ${DISPLAY} -screen 0 1280x800x24 -nolisten tcp -noreset &`,
    'i=0',
    `while [ ! -S /tmp/.X11-unix/X${DISPLAY.slice(1)} ]; do`,
    '  i=$((i+1)); if [ $i -gt 400 ]; then echo "Xvfb did not start" >&2; exit 1; fi; sleep 0.05',
    'done',
    // No -ultrafilexfer: no VNC file transfer, whatever the policy; -rfbport 0: no TCP.
    `x11vnc -display ${DISPLAY} -unixsock ${VNC_SOCKET} -rfbport 0 -nopw -forever -shared ${x11vncClipboardFlags(clipboard).join(' ')} -quiet &`,
    `chromium ${CHROMIUM_FLAGS.join(' ')} "$VIWORKS_START_URL" &`,
    `exec websockify --web /usr/share/novnc --unix-target=${VNC_SOCKET} "$VIWORKS_VIEWER"`,
  ].join('\n');

/**
 * The managed policy's mounts. /etc is the host's, read-only, and Debian's has no policies
 * directory (nor can one be made in a read-only mount): a tmpfs over /etc/chromium (which the
 * chromium package ships) holds the host's master_preferences again, the policies directory and
 * our policy — and no host policy, so only ours applies — then is itself made read-only: the
 * browser cannot add a policy file of its own beside ours.
 */
function chromiumPolicyMounts(): string[] {
  const prefs = `${CHROMIUM_ETC}/master_preferences`;
  return [
    ...['--tmpfs', CHROMIUM_ETC, '--ro-bind-try', prefs, prefs],
    ...['--dir', CHROMIUM_POLICY_DIR],
    ...['--perms', '0444', '--ro-bind-data', String(POLICY_FD), CHROMIUM_POLICY_PATH],
    ...['--remount-ro', CHROMIUM_ETC],
  ];
}

/** bwrap's own options: namespaces, filesystem, privileges, environment. */
export function bwrapOptions(i: LaunchInput): string[] {
  return [
    '--unshare-user',
    '--uid',
    String(i.uid),
    '--gid',
    String(i.gid),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'viworks-browser',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    // Debian's merged /usr: the rest of the root is links into it.
    ...['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc'],
    ...['--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin'],
    ...['--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64'],
    ...['--proc', '/proc', '--dev', '/dev'],
    ...['--tmpfs', '/tmp', '--dir', '/tmp/.X11-unix', '--tmpfs', SANDBOX_HOME],
    ...['--tmpfs', '/dev/shm', '--tmpfs', '/run', '--tmpfs', '/var/tmp', '--tmpfs', '/var/lib/xkb'],
    ...chromiumPolicyMounts(),
    // Last: bwrap's own root tmpfs becomes read-only; the tmpfs mounts above stay writable.
    ...['--remount-ro', '/'],
    '--clearenv',
    ...['--setenv', 'HOME', SANDBOX_HOME, '--setenv', 'PATH', '/usr/bin:/bin'],
    ...['--setenv', 'LANG', 'C.UTF-8', '--setenv', 'DISPLAY', DISPLAY],
    ...['--setenv', 'VIWORKS_START_URL', i.startUrl],
    ...['--setenv', 'VIWORKS_VIEWER', `${i.viewerAddress}:${i.viewerPort}`],
    ...['--chdir', SANDBOX_HOME],
    ...['--seccomp', String(SECCOMP_FD)],
  ];
}

/** The whole argv, from the cgroup join to the launcher (see the top of this file). */
export function launchArgv(i: LaunchInput): string[] {
  return [
    ...[BIN.sh, '-c', CGROUP_JOIN, 'viworks-cgroup-join', ...i.cgroupProcs, '--'],
    ...[BIN.ip, 'netns', 'exec', i.netns],
    BIN.setpriv,
    `--reuid=${i.uid}`,
    `--regid=${i.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    ...[BIN.sh, '-c', KEEPER, 'viworks-browser-keeper'],
    BIN.bwrap,
    ...bwrapOptions(i),
    ...[BIN.sh, '-c', launcher(i.clipboard), 'viworks-browser'],
  ];
}
