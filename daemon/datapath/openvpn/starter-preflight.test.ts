// The OpenVPN starter's preflight checks as `viworks preflight` shows them: `openvpn` present, safe
// to run and ≥ 2.6 (the real binary, and stand-ins printing an older version or missing), and
// `tun_device`. The stand-in is a real executable the check runs; only its output is chosen.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { executable } from '../../../scripts/testkit/peers.js';
import { RunnerOpenVpnStarter } from './starter.js';

const dir = mkdtempSync(join(tmpdir(), 'viw-ovpn-pf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function standIn(name: string, versionLine: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho '${versionLine}'\n`);
  chmodSync(path, 0o755);
  return path;
}

const check = async (openvpnPath: string) => {
  const checks = await new RunnerOpenVpnStarter({ openvpnPath }).preflight();
  return checks.find((c) => c.name === 'openvpn');
};

describe('openvpn preflight check', () => {
  it('passes the installed OpenVPN 2.6', {
    skip: !executable('/usr/sbin/openvpn') && 'no openvpn',
  }, async () => {
    const c = await check('/usr/sbin/openvpn');
    assert.equal(c?.ok, true);
    assert.match(c?.detail ?? '', /^OpenVPN 2\.(6|[7-9])\./);
  });

  it('fails an OpenVPN older than 2.6', { skip: !isRoot && 'the stand-in must be root-owned' }, async () => {
    const c = await check(standIn('openvpn-2.5', 'OpenVPN 2.5.9 x86_64-pc-linux-gnu [SSL (OpenSSL)]'));
    assert.equal(c?.ok, false);
    assert.equal(c?.code, 'VIW_E_PREFLIGHT');
    assert.match(c?.detail ?? '', /older than 2\.6/);
  });

  it('fails a missing binary and one that is not OpenVPN', {
    skip: !isRoot && 'root-owned stand-in',
  }, async () => {
    const missing = await check(join(dir, 'absent'));
    assert.equal(missing?.ok, false);
    assert.match(missing?.detail ?? '', /not found or not executable/);
    const other = await check(standIn('not-openvpn', 'hello'));
    assert.equal(other?.ok, false);
    assert.match(other?.detail ?? '', /version not recognised/);
  });
});
