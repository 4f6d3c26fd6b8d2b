// The seccomp deny list of a browser sandbox and its compilation to classic BPF (by a small
// program for Debian's python3-seccomp, given inline so the built gateway needs no extra file). What is denied: what changes the system or
// reaches other processes, and that no part of the viewer stack needs — Chromium's own sandbox needs
// clone/unshare (user, pid, net namespaces) and chroot, so those stay allowed.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
/**
 * Writes a classic-BPF program (for `bwrap --seccomp FD`) to stdout: every syscall named on the
 * command line fails with EPERM, everything else is allowed. libseccomp supplies the syscall
 * numbers and the architecture check: a syscall made through another ABI (i386, x32) is killed by
 * its bad-arch action. A name it does not know is a bug in the list, not something to skip.
 */
const COMPILE_FILTER = [
  'import errno, sys, seccomp',
  'f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)',
  'for name in sys.argv[1:]:',
  '    try:',
  '        f.add_rule(seccomp.ERRNO(errno.EPERM), name)',
  '    except (RuntimeError, ValueError) as e:',
  '        sys.exit(f"unknown syscall {name}: {e}")',
  'f.export_bpf(sys.stdout)',
].join('\n');

export const DENIED_SYSCALLS: readonly string[] = [
  // filesystems and the root
  'mount',
  'umount2',
  'pivot_root',
  'fsopen',
  'fsmount',
  'fsconfig',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'swapon',
  'swapoff',
  'quotactl',
  'open_by_handle_at',
  'name_to_handle_at',
  // other processes
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'pidfd_getfd',
  // the kernel
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'iopl',
  'ioperm',
  'reboot',
  'syslog',
  'acct',
  'lookup_dcookie',
  'fanotify_init',
  // keys and the clock
  'keyctl',
  'add_key',
  'request_key',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
];

/** Compiles DENIED_SYSCALLS and writes the BPF program to `path` (mode 0600). */
export async function writeSeccompFilter(path: string): Promise<void> {
  const program = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      SYSTEM_PYTHON,
      ['-c', COMPILE_FILTER, ...DENIED_SYSCALLS],
      { encoding: 'buffer', env: { PATH: '/usr/bin:/bin', LANG: 'C' }, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`seccomp filter: ${String(stderr).trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
  // A BPF instruction is 8 bytes; an empty or ragged program would be a silently missing filter.
  if (program.length === 0 || program.length % 8 !== 0)
    throw new ViworksError('VIW_E_GATEWAY_COMMAND', { message: 'seccomp filter: bad BPF program' });
  await writeFile(path, program, { mode: 0o600 });
}
