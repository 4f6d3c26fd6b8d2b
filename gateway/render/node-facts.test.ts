import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { forwarderPaths, fwknopdLogIn, type NodeFacts, validateNodeFacts } from './node-facts.js';
import { sampleFacts } from './test-fixtures.js';
import { checkPath, parseCidr } from './values.js';

const rejects = (f: NodeFacts, detail: RegExp) =>
  assert.throws(
    () => validateNodeFacts(f),
    (e: unknown) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => detail.test(d)),
  );

describe('validateNodeFacts', () => {
  test('accepts sane facts and returns them unchanged', () => {
    const f = sampleFacts();
    assert.equal(validateNodeFacts(f), f);
    assert.equal(validateNodeFacts({ ...f, openvpnUser: null, stunnelUser: null }).openvpnUser, null);
  });

  test('refuses an interface name that could inject a directive or is too long', () => {
    for (const bad of ['eth0\nFIREWALL_EXE /tmp/x', 'eth0;', 'eth 0', '', 'a'.repeat(16), '..', 'eth0#']) {
      rejects(sampleFacts(undefined, { spaInterface: bad }), /^spaInterface/);
    }
  });

  test('refuses a listen address that is not a dotted quad', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4\n', '01.2.3.4', '::1', 'localhost']) {
      rejects(sampleFacts(undefined, { listenAddress: bad }), /^listenAddress/);
    }
  });

  test('refuses ports outside 1..65535 and non-integers', () => {
    for (const bad of [0, 65536, -1, 1.5, Number.NaN]) {
      rejects(sampleFacts(undefined, { openvpnPort: bad }), /^openvpnPort/);
      rejects(sampleFacts(undefined, { sshPort: bad }), /^sshPort/);
    }
  });

  test('refuses user and group names outside the POSIX-ish grammar', () => {
    for (const bad of ['Root', 'no body', 'x\n', '1abc', 'a'.repeat(33)]) {
      rejects(sampleFacts(undefined, { openvpnUser: { user: bad, group: 'nogroup' } }), /^openvpnUser\.user/);
      rejects(sampleFacts(undefined, { stunnelUser: { user: 'ok', group: bad } }), /^stunnelUser\.group/);
    }
  });

  test('refuses relative paths, .., whitespace, quotes, comment and control characters', () => {
    const base = sampleFacts();
    for (const bad of [
      'etc/x',
      '/etc/../root/x',
      '/etc/./x',
      '/etc/x y',
      '/etc/x\nkey /tmp/k',
      '/etc/"x',
      "/etc/'x",
      '/etc/x#',
      '/etc/x;',
      '/etc/%h',
      '/etc/$x',
      '/etc/x\\y',
    ]) {
      rejects({ ...base, paths: { ...base.paths, crl: bad } }, /^paths\.crl/);
    }
  });

  test('the error names the setting, never the offending value', () => {
    const secretish = '/etc/SECRET VALUE';
    try {
      validateNodeFacts({ ...sampleFacts(), paths: { ...sampleFacts().paths, openvpnKey: secretish } });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(isViworksError(e, 'VIW_E_CONFIG'));
      assert.ok(!JSON.stringify(e.toBody()).includes('SECRET'));
    }
  });
});

describe('value helpers', () => {
  test('parseCidr splits network and mask and refuses host bits', () => {
    assert.deepEqual(parseCidr('x', '10.8.0.0/24'), {
      network: '10.8.0.0',
      mask: '255.255.255.0',
      prefix: 24,
    });
    assert.deepEqual(parseCidr('x', '0.0.0.0/0'), { network: '0.0.0.0', mask: '0.0.0.0', prefix: 0 });
    assert.equal(parseCidr('x', '203.0.113.10/32').mask, '255.255.255.255');
    for (const bad of ['10.8.0.1/24', '10.8.0.0/33', '10.8.0.0', '10.8.0.0/24/1', '10.8.0.0/ 24']) {
      assert.throws(
        () => parseCidr('x', bad),
        (e: unknown) => isViworksError(e, 'VIW_E_CONFIG'),
      );
    }
  });

  test('checkPath accepts ordinary absolute paths', () => {
    assert.equal(checkPath('p', '/var/lib/viworks-gw/ccd'), '/var/lib/viworks-gw/ccd');
    assert.equal(checkPath('p', '/run/openvpn@viworks/mgmt.sock'), '/run/openvpn@viworks/mgmt.sock');
  });
});

describe('paths in the node state dir', () => {
  test("fwknopd log and the SIEM forwarder's own files, all under state_dir", () => {
    assert.equal(fwknopdLogIn('/var/lib/viworks-gw'), '/var/lib/viworks-gw/fwknopd.log');
    const p = forwarderPaths('/var/lib/viworks-gw');
    assert.deepEqual(p, {
      dir: '/var/lib/viworks-gw/siem',
      conf: '/var/lib/viworks-gw/siem/rsyslogd.conf',
      pid: '/var/lib/viworks-gw/siem/rsyslogd.pid',
      workDir: '/var/lib/viworks-gw/siem/work',
      caFile: '/var/lib/viworks-gw/siem/siem-ca.pem',
      certFile: '/var/lib/viworks-gw/siem/client-chain.pem',
      keyFile: '/var/lib/viworks-gw/siem/client-key.pem',
      ownLog: '/var/lib/viworks-gw/siem/rsyslogd.log',
      startedWith: '/var/lib/viworks-gw/siem/started-with.sha256',
    });
    // Distinct files, nothing outside the forwarder's dir.
    const all = Object.values(p);
    assert.equal(new Set(all).size, all.length);
    for (const v of all) assert.ok(v.startsWith('/var/lib/viworks-gw/siem'), v);
  });

  test('refuse a state dir that is not a safe absolute path', () => {
    for (const bad of ['var/lib/x', '/var/lib/x y', '/var/lib/"x', '/var/lib/../x', '/var/lib/x\n']) {
      assert.throws(
        () => forwarderPaths(bad),
        (e: unknown) => isViworksError(e, 'VIW_E_CONFIG'),
      );
      assert.throws(
        () => fwknopdLogIn(bad),
        (e: unknown) => isViworksError(e, 'VIW_E_CONFIG'),
      );
    }
  });
});
