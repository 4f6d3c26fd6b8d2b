import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { OpenVpnParser } from '../../core/gateway/dataplane/openvpn.js';
import { IP, NsProcess, run, runOk } from '../../scripts/testkit/netns.js';
import { createTestCa, OPENVPN } from '../../scripts/testkit/openvpn-server.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { buildCrl } from '../../server/pki/crl.js';
import { PROFILES } from '../../server/pki/profiles.js';
import { generateTlsCryptKey } from '../../server/pki/tls-crypt.js';
import { disconnectHookLine, OPENVPN_MAX_LINE, renderOpenVpnServerConf } from './openvpn-server-conf.js';
import { directives, sampleFacts, sampleSettings, writePrivate } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

describe('renderOpenVpnServerConf', () => {
  const out = renderOpenVpnServerConf(sampleSettings(), sampleFacts('/etc/viworks'));
  const d = directives(out);

  test('header, determinism, and the server directives', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderOpenVpnServerConf(sampleSettings(), sampleFacts('/etc/viworks')), out);
    for (const line of [
      'port 1194',
      'local 127.0.0.1',
      'proto tcp-server',
      'dev tun',
      'topology subnet',
      'server 10.8.0.0 255.255.255.0 nopool',
      'ca /etc/viworks/openvpn-ca.pem',
      'cert /etc/viworks/openvpn-cert.pem',
      'key /etc/viworks/openvpn-key.pem',
      'tls-crypt /etc/viworks/tls-crypt.key',
      'dh none',
      'data-ciphers AES-256-GCM:AES-128-GCM',
      'auth SHA256',
      'tls-version-min 1.2',
      'remote-cert-tls client',
      'verify-x509-name s- name-prefix',
      'crl-verify /etc/viworks/crl.pem',
      'client-config-dir /etc/viworks/ccd',
      'ccd-exclusive',
      'management /etc/viworks/openvpn-mgmt.sock unix',
      'writepid /etc/viworks/openvpn.pid',
      'status /etc/viworks/openvpn-status.log 5',
      'log-append /etc/viworks/openvpn.log',
      'verb 3',
      'keepalive 10 60',
      'persist-key',
      'persist-tun',
      'user nobody',
      'group nogroup',
      'push "redirect-gateway def1"',
      'push "route 10.20.0.0 255.255.0.0"',
      'push "route 192.168.50.0 255.255.255.0"',
      'push "dhcp-option DNS 10.20.0.53"',
    ]) {
      assert.ok(d.includes(line), `missing ${line}`);
    }
    assert.ok(!d.some((l) => l.startsWith('explicit-exit-notify')), 'UDP-only option on TCP');
  });

  test("one script: the client-disconnect hook, within OpenVPN's line limit", () => {
    assert.ok(d.includes('script-security 2'));
    assert.ok(!d.some((l) => /^script-security [013]/.test(l)));
    const hooks = d.filter((l) =>
      /^(client-connect|client-disconnect|up|down|learn-address|auth-user-pass-verify|tls-verify|ipchange|route-up) /.test(
        l,
      ),
    );
    assert.deepEqual(hooks, [disconnectHookLine()]);
    assert.ok(disconnectHookLine().length <= OPENVPN_MAX_LINE);
  });

  test("the hook prints one parseable line whatever the client's CN holds, and runs nothing else", async () => {
    // Undo the two parsers OpenVPN applies (config line, then argv_parse_cmd) to get the sh script.
    const param = disconnectHookLine()
      .replace(/^client-disconnect "/, '')
      .replace(/"$/, '')
      .replace(/\\(["\\])/g, '$1');
    const m = /^\/bin\/sh -c '([^']*)'$/.exec(param);
    assert.ok(m, param);
    const marker = join(mkdtempSync(join(tmpdir(), 'viw-hook-')), 'ran');
    const cn = `s-${'a'.repeat(32)} %s %n $(touch ${marker}) \`touch ${marker}\` 1 2 3\nviworks-ovpn-disconnect 9 9 9 9 6.6.6.6 9 x`;
    const out = await run(['/bin/sh', '-c', m[1] ?? ''], {
      env: {
        PATH: '/usr/bin:/bin',
        time_unix: '1796346905',
        time_duration: '70',
        bytes_received: '3037',
        bytes_sent: '2976',
        ifconfig_pool_remote_ip: '10.8.0.2',
        trusted_port: '44408',
        common_name: cn,
      },
    });
    assert.equal(out.code, 0, out.stderr);
    assert.throws(() => readFileSync(marker), /ENOENT/, 'the CN ran a command');
    const lines = out.stdout.split('\n');
    const facts = new OpenVpnParser().parse(lines[0] ?? '');
    assert.deepEqual(
      facts.map((f) => [
        f.action,
        f.virtualIp,
        f.relayPort,
        f.bytesIn,
        f.bytesOut,
        f.durationMs,
        f.sessionWireId,
      ]),
      [['ovpn.disconnect', '10.8.0.2', 44408, 3037, 2976, 70_000, `s-${'a'.repeat(32)}`]],
    );
    // The CN is cut at its first odd character: its newline cannot start a forged second line.
    assert.deepEqual(lines.slice(1), ['']);
  });

  test('policy switches: no redirect-gateway, no pushes, no user drop', () => {
    const plain = renderOpenVpnServerConf(
      sampleSettings({ redirect_gateway: false, push_routes: [], push_dns: [] }),
      sampleFacts(undefined, { openvpnUser: null }),
    );
    assert.ok(!directives(plain).some((l) => /^(push|user|group) /.test(l)));
  });

  test('refuses bad networks, DNS servers and paths', () => {
    const f = sampleFacts();
    for (const bad of [
      { vpn_network: '10.8.0.1/24' },
      { vpn_network: '10.8.0.0/30' },
      { push_routes: ['10.0.0.0/8"\npush "route 0.0.0.0 0.0.0.0'] },
      { push_dns: ['999.1.1.1'] },
      { push_dns: ['1.1.1.1"'] },
    ]) {
      assert.throws(
        () => renderOpenVpnServerConf(sampleSettings(bad), f),
        isConfigError,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () =>
        renderOpenVpnServerConf(sampleSettings(), {
          ...f,
          paths: { ...f.paths, ccdDir: '/x\nscript-security 3' },
        }),
      isConfigError,
    );
  });
});

const peers = needPeers({ binaries: [OPENVPN, IP], root: true, apt: 'openvpn iproute2' });

/** Polls a file until `re` matches its content (OpenVPN logs to log-append, not to stdout). */
async function waitForFile(
  path: string,
  re: RegExp,
  timeoutMs: number,
  alive: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (re.test(readFileSync(path, 'utf8'))) return true;
    } catch {
      // not written yet
    }
    if (!alive()) return false;
    await sleep(100);
  }
  return false;
}

describe('real OpenVPN 2.6 starts on the rendered config', { skip: peers.skip, timeout: 60_000 }, () => {
  const ns = `viw-ovpn-${randomBytes(4).toString('hex')}`;
  let dir = '';
  let server: NsProcess | undefined;
  const paths = () => sampleFacts(dir).paths;
  const log = () => {
    try {
      return readFileSync(paths().openvpnLog, 'utf8');
    } catch {
      return '';
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-ovpn-'));
    await runOk([IP, 'netns', 'add', ns]);
    await runOk([IP, '-n', ns, 'link', 'set', 'lo', 'up']);
    const ca = await createTestCa();
    const cred = await ca.issue('ovpn-lab', PROFILES['vpn-server']);
    const facts = sampleFacts(dir, { openvpnUser: null });
    const p = facts.paths;
    writePrivate(p.openvpnCa, ca.caPem);
    writePrivate(p.openvpnCert, cred.certPem);
    writePrivate(p.openvpnKey, cred.keyPem);
    writePrivate(p.tlsCryptKey, generateTlsCryptKey());
    writePrivate(p.crl, await buildCrl(ca.intVpn, [], 1n, new Date(Date.now() - 60_000)));
    mkdirSync(p.ccdDir, { mode: 0o700 });
    writePrivate(p.openvpnConf, renderOpenVpnServerConf(sampleSettings(), facts));
    // `ip netns exec` execs OpenVPN in place: the child's PID is OpenVPN's, stopped by that PID.
    const argv = ['netns', 'exec', ns, OPENVPN, '--config', p.openvpnConf];
    server = new NsProcess('openvpn', spawn(IP, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  });

  after(async () => {
    if (process.env.VIW_RENDER_DEBUG === '1') console.error(log());
    await server?.stop();
    await run([IP, 'netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('reaches "Initialization Sequence Completed" with the tun device up', async () => {
    const up = await waitForFile(paths().openvpnLog, /Initialization Sequence Completed/, 20_000, () =>
      Boolean(server?.running),
    );
    assert.ok(up, `openvpn did not start:\n${log()}${server?.output ?? ''}`);
    assert.doesNotMatch(log(), /WARNING|Options error/);
    const addr = await runOk([IP, '-n', ns, '-4', 'addr', 'show', 'dev', 'tun0']);
    assert.match(addr, /inet 10\.8\.0\.1\/24/);
    assert.equal(Number(readFileSync(paths().openvpnPid, 'utf8').trim()), server?.pid);
  });

  test('the management socket answers (viworks-gw drives sessions through it)', async () => {
    const greeting = await new Promise<string>((resolve) => {
      const s = connect(paths().openvpnMgmtSocket);
      s.once('data', (b) => {
        s.end('quit\n');
        resolve(String(b));
      });
      s.once('error', (e) => resolve(`error: ${e.message}`));
    });
    assert.match(greeting, /^>INFO:OpenVPN Management Interface/);
  });
});
