// resolvconf (openresolv and Debian's), checked against their documented command protocol with a
// recording runner: installing Debian's resolvconf here would rewrite this machine's own resolver
// configuration, so these tests pin the exact argv and stdin of each step (resolvconf(8):
// `-a IFACE.PROG` with the resolv.conf text on stdin, `-d` to delete; openresolv's `-x` exclusive
// and `-f` ignore-missing; `--version` told apart: openresolv names itself, Debian's refuses it),
// that the state file is written before anything runs, and that nothing runs for a hostile value.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DnsApplyRequest } from './dns-backend.js';
import { DnsStateStore } from './dns-state.js';
import { renderResolvConf } from './resolv-conf.js';
import { ResolvconfDns } from './resolvconf-dns.js';
import { hostileRequests } from './testing/hostile.js';
import { type RecordedCall, recordingRunner } from './testing/recording-runner.js';

const RC = '/sbin/resolvconf';
const FULL: DnsApplyRequest = {
  servers: ['10.8.0.1', 'fd00:8::1'],
  searchDomains: ['corp.example'],
  interfaceName: 'tun0',
  fullTunnel: true,
};
const openresolv = (c: RecordedCall) =>
  c.args[0] === '--version' ? { stdout: 'openresolv 3.12.0\n' } : undefined;
const debian = (c: RecordedCall) =>
  c.args[0] === '--version'
    ? {
        code: 99,
        stderr:
          'resolvconf: Error: Command not recognized\nUsage: resolvconf (-d IFACE|-a IFACE|-u|--enable-updates|--disable-updates|--updates-are-enabled)\n',
      }
    : undefined;

let dir: string;
let state: DnsStateStore;
let resolvConfPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-resolvconf-'));
  state = new DnsStateStore(join(dir, 'state'));
  resolvConfPath = join(dir, 'resolv.conf');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const make = (run: ReturnType<typeof recordingRunner>['run'], s = state) =>
  new ResolvconfDns({ state: s, program: RC, resolvConfPath, run });

describe('ResolvconfDns (recorded resolvconf protocol)', () => {
  it('openresolv, full tunnel: an exclusive record <if>.viworks with the resolv.conf text on stdin', async () => {
    const seenState: boolean[] = [];
    const r = recordingRunner((c) => {
      seenState.push(existsSync(state.path));
      return openresolv(c);
    });
    const dns = make(r.run);
    await dns.apply(FULL);
    assert.deepEqual(r.lines(), [`${RC} --version`, `${RC} -x -a tun0.viworks`]);
    assert.equal(r.calls[1]?.stdin, renderResolvConf(FULL));
    assert.deepEqual(seenState, [false, true], 'the record is written after the probe, before the change');
    assert.deepEqual(await state.read(), {
      v: 2,
      method: 'resolvconf',
      interfaceName: 'tun0',
      record: 'tun0.viworks',
      program: RC,
      flavour: 'openresolv',
    });
    await dns.apply({ ...FULL, fullTunnel: false }); // mid-session: no probe, not exclusive
    assert.equal(r.lines()[2], `${RC} -a tun0.viworks`);
    r.calls.length = 0;
    await dns.restore();
    assert.deepEqual(r.lines(), [`${RC} -f -d tun0.viworks`]);
    assert.equal(existsSync(state.path), false);
  });

  it('Debian’s resolvconf: no exclusive mode (it refuses unknown options), plain -a and -d', async () => {
    const r = recordingRunner(debian);
    const dns = make(r.run);
    await dns.apply(FULL);
    await dns.restore();
    assert.deepEqual(r.lines(), [`${RC} --version`, `${RC} -a tun0.viworks`, `${RC} -d tun0.viworks`]);
    assert.equal(r.calls[1]?.stdin, renderResolvConf(FULL));
  });

  it('after the daemon died: a new instance deletes the record with the recorded program and flavour', async () => {
    await make(recordingRunner(openresolv).run).apply(FULL);
    const r = recordingRunner();
    await new ResolvconfDns({
      state: new DnsStateStore(join(dir, 'state')),
      program: '/usr/sbin/resolvconf',
      run: r.run,
    }).restore();
    assert.deepEqual(r.lines(), [`${RC} -f -d tun0.viworks`]);
    assert.equal(existsSync(state.path), false);
  });

  it('a refused add deletes the record again; a failed delete keeps the record for the next try', async () => {
    const refusing = recordingRunner((c) =>
      c.args.includes('-a') ? { code: 1, stderr: 'tun0.viworks: permission denied' } : openresolv(c),
    );
    await assert.rejects(
      make(refusing.run).apply(FULL),
      (e: Error & { code?: string; details?: string[] }) =>
        e.code === 'VIW_E_PREFLIGHT' && /permission denied/.test(e.details?.join() ?? ''),
    );
    assert.deepEqual(refusing.lines().slice(-1), [`${RC} -f -d tun0.viworks`]);
    assert.equal(existsSync(state.path), false);

    await make(recordingRunner(openresolv).run).apply(FULL);
    const gone = recordingRunner(() => ({ code: null }));
    await assert.rejects(make(gone.run).restore(), (e: Error & { details?: string[] }) =>
      /apt-get install resolvconf/.test(e.details?.join() ?? ''),
    );
    assert.equal(existsSync(state.path), true);
  });

  it('refuses hostile values before any command runs and writes no record', async () => {
    for (const req of hostileRequests()) {
      const r = recordingRunner(openresolv);
      await assert.rejects(make(r.run).apply(req), { code: 'VIW_E_VALIDATION' }, JSON.stringify(req));
      assert.equal(r.calls.length, 0);
      assert.equal(existsSync(state.path), false);
    }
  });

  it('serversInUse reads the nameserver lines of the resolv.conf resolvconf writes', async () => {
    const dns = make(recordingRunner(openresolv).run);
    assert.deepEqual(await dns.serversInUse(), []);
    writeFileSync(resolvConfPath, '# Generated by resolvconf\nnameserver 10.8.0.1\nnameserver 192.168.1.1\n');
    assert.deepEqual(await dns.serversInUse(), ['10.8.0.1', '192.168.1.1']);
  });
});
