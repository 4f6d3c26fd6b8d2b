#!/usr/bin/python3
# Writes a classic-BPF seccomp program (for `bwrap --seccomp FD`) to stdout: every syscall named on
# the command line fails with EPERM, everything else is allowed. Built with Debian's python3-seccomp
# (libseccomp), so syscall numbers and the architecture check come from the library, not from us:
# a syscall made through another ABI (i386, x32) is killed by libseccomp's bad-arch action.
import errno
import sys

import seccomp

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in sys.argv[1:]:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError) as e:
        # A name this libseccomp does not know is a bug in the list, not something to skip.
        sys.exit(f"unknown syscall {name}: {e}")
f.export_bpf(sys.stdout)
