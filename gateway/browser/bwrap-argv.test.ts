import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bwrapOptions, launchArgv, POLICY_FD, SECCOMP_FD } from './bwrap-argv.js';

const input = {
  netns: 'vwb-0123456789',
  uid: 65534,
  gid: 65534,
  cgroupProcs: ['/sys/fs/cgroup/viworks-browser/s-x/cgroup.procs'],
  viewerAddress: '10.255.0.2',
  viewerPort: 6080,
  startUrl: 'http://192.168.10.5:8080/',
  clipboard: false,
};

/** The value following `flag` in argv (e.g. `--uid` → `65534`). */
const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('launchArgv', () => {
  const argv = launchArgv(input);

  test('order: cgroup join, netns, drop to the user, keeper, bwrap, launcher', () => {
    const at = (s: string) => argv.indexOf(s);
    assert.equal(argv[0], '/bin/sh');
    assert.equal(argv[at('--') - 1], input.cgroupProcs[0]);
    assert.deepEqual(argv.slice(at('--') + 1, at('--') + 5), [
      '/usr/sbin/ip',
      'netns',
      'exec',
      'vwb-0123456789',
    ]);
    assert.ok(at('/usr/bin/setpriv') < at('viworks-browser-keeper'));
    assert.ok(at('viworks-browser-keeper') < at('/usr/bin/bwrap'));
    assert.equal(argv.at(-1), 'viworks-browser');
    assert.ok(
      argv.includes('--reuid=65534') && argv.includes('--regid=65534') && argv.includes('--clear-groups'),
    );
  });

  test('no cgroup: the join loop gets no files and still execs the rest', () => {
    const none = launchArgv({ ...input, cgroupProcs: [] });
    assert.equal(none[3], 'viworks-cgroup-join');
    assert.equal(none[4], '--');
  });

  test('session data is never shell text: the start URL appears only as an --setenv value', () => {
    const hostile = launchArgv({ ...input, startUrl: 'http://1.2.3.4:80/"; reboot; "' });
    const hits = hostile.filter((a) => a.includes('reboot'));
    assert.deepEqual(hits, ['http://1.2.3.4:80/"; reboot; "']);
    assert.equal(after(hostile, 'VIWORKS_START_URL'), 'http://1.2.3.4:80/"; reboot; "');
  });
});

describe('bwrapOptions', () => {
  const opts = bwrapOptions(input);

  test('namespaces, privileges and lifetime', () => {
    for (const f of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ])
      assert.ok(opts.includes(f), f);
    // The network namespace is joined before bwrap: bwrap must not make a new, empty one.
    assert.ok(!opts.includes('--unshare-net') && !opts.includes('--unshare-all'));
    assert.equal(after(opts, '--cap-drop'), 'ALL');
    assert.ok(!opts.includes('--cap-add'));
    assert.equal(after(opts, '--uid'), '65534');
    assert.equal(after(opts, '--seccomp'), String(SECCOMP_FD));
  });

  test('filesystem: read-only system, tmpfs for what is written, root remounted read-only last', () => {
    assert.deepEqual(opts.slice(opts.indexOf('/usr') - 1, opts.indexOf('/usr') + 2), [
      '--ro-bind',
      '/usr',
      '/usr',
    ]);
    assert.ok(!opts.includes('--bind'), 'no writable bind of the host');
    for (const dir of ['/tmp', '/home/sandbox', '/dev/shm', '/run'])
      assert.equal(opts[opts.indexOf(dir) - 1], '--tmpfs', dir);
    const lastMount = Math.max(
      ...opts.flatMap((o, i) =>
        ['--tmpfs', '--dir', '--ro-bind', '--ro-bind-try', '--ro-bind-data', '--symlink'].includes(o)
          ? [i]
          : [],
      ),
    );
    assert.ok(opts.lastIndexOf('--remount-ro') > lastMount);
    assert.equal(opts[opts.lastIndexOf('--remount-ro') + 1], '/');
  });

  test("Chromium's managed policy: read from POLICY_FD, read-only, in a read-only /etc/chromium after /etc", () => {
    const policy = '/etc/chromium/policies/managed/viworks.json';
    const at = opts.indexOf(policy);
    assert.deepEqual(opts.slice(at - 4, at), ['--perms', '0444', '--ro-bind-data', String(POLICY_FD)]);
    assert.notEqual(POLICY_FD, SECCOMP_FD);
    const etcBind = opts.indexOf('/etc') - 1;
    assert.equal(opts[etcBind], '--ro-bind');
    const tmpfs = opts.findIndex((o, i) => o === '--tmpfs' && opts[i + 1] === '/etc/chromium');
    const remount = opts.findIndex((o, i) => o === '--remount-ro' && opts[i + 1] === '/etc/chromium');
    assert.ok(etcBind < tmpfs && tmpfs < at && at < remount, 'tmpfs over the ro /etc, policy, then ro');
    assert.equal(opts[opts.indexOf('/etc/chromium/policies/managed') - 1], '--dir');
    // The seccomp fd stays the last option (the lab test drops it to show the filter's effect).
    assert.deepEqual(opts.slice(-2), ['--seccomp', String(SECCOMP_FD)]);
  });
});

describe('the clipboard switch (x11vnc in the launcher)', () => {
  const launcherOf = (argv: string[]) => argv.at(-2)!;
  const x11vncLine = (argv: string[]) =>
    launcherOf(argv)
      .split('\n')
      .find((l) => l.startsWith('x11vnc '))!;
  const off = launchArgv(input);
  const on = launchArgv({ ...input, clipboard: true });

  test('off: -nosel, no selection exchanged either way; never a file-transfer flag', () => {
    assert.match(x11vncLine(off), / -nosel /);
    assert.doesNotMatch(x11vncLine(off), /-noprimary|-nosetprimary/);
    for (const argv of [off, on]) assert.doesNotMatch(x11vncLine(argv), /filexfer/);
  });

  test('on: CLIPBOARD both ways (no -nosel, no -noclipboard/-nosetclipboard), PRIMARY not', () => {
    const line = x11vncLine(on);
    assert.doesNotMatch(line, /-nosel|-noclipboard|-nosetclipboard/);
    assert.match(line, / -noprimary -nosetprimary /);
    assert.match(line, /-unixsock \/tmp\/vnc\.sock -rfbport 0 /, 'still a unix socket only');
  });

  test('near miss: the switch changes the x11vnc line and nothing else (the policy mount is always there)', () => {
    assert.equal(on.length, off.length);
    const differs = on.flatMap((a, i) => (a === off[i] ? [] : [i]));
    assert.deepEqual(differs, [on.length - 2]);
    const otherLines = (argv: string[]) =>
      launcherOf(argv)
        .split('\n')
        .filter((l) => !l.startsWith('x11vnc '));
    assert.deepEqual(otherLines(on), otherLines(off));
    assert.ok(off.includes('/etc/chromium/policies/managed/viworks.json'));
  });
});
