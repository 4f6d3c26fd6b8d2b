import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { run, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { renderAuthorizedKeysLine } from './authorized-keys.js';
import { renderSshdConfig, type SshdConfigOptions } from './sshd-config.js';
import { directives, sampleFacts, writePrivate } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const SSHD = '/usr/sbin/sshd';
const KEYGEN = '/usr/bin/ssh-keygen';
const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');
const opts = (over: Partial<SshdConfigOptions> = {}): SshdConfigOptions => ({
  listenAddress: '192.0.2.10',
  hostKeyPath: '/etc/viworks/ssh_host_ed25519_key',
  authorizedKeysFile: '/etc/viworks/authorized_keys',
  pidFile: '/run/viworks-gw-sshd.pid',
  allowUser: 'root',
  controlHome: '/var/lib/viworks-gw/control-home',
  ...over,
});
// A real ed25519 public key blob (wire format: "ssh-ed25519" + 32 key bytes).
const ED_BLOB = Buffer.concat([
  Buffer.from([0, 0, 0, 11]),
  Buffer.from('ssh-ed25519'),
  Buffer.from([0, 0, 0, 32]),
  Buffer.alloc(32, 7),
]).toString('base64');
const GW = '/usr/bin/node /opt/viworks/gateway/bin/viworks-gw.js';

describe('renderSshdConfig', () => {
  const out = renderSshdConfig(sampleFacts(), opts());
  const d = directives(out);

  test('header, determinism and the lock-down directives', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderSshdConfig(sampleFacts(), opts()), out);
    for (const line of [
      'Port 2222',
      'ListenAddress 192.0.2.10',
      'HostKey /etc/viworks/ssh_host_ed25519_key',
      'PidFile /run/viworks-gw-sshd.pid',
      'AuthorizedKeysFile /etc/viworks/authorized_keys',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin forced-commands-only',
      'AllowUsers root',
      'DisableForwarding yes',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'PermitTunnel no',
      'PermitTTY no',
      'GatewayPorts no',
      'PermitUserEnvironment no',
      'MaxAuthTries 2',
      'SetEnv HOME=/var/lib/viworks-gw/control-home',
      'MaxSessions 10',
      'LoginGraceTime 10',
      'UsePAM no',
      'StrictModes yes',
      'LogLevel VERBOSE',
    ]) {
      assert.ok(d.includes(line), `missing ${line}`);
    }
    assert.ok(!d.some((l) => l.startsWith('Subsystem')));
  });

  test('a non-root user gets PermitRootLogin no', () => {
    const other = directives(renderSshdConfig(sampleFacts(), opts({ allowUser: 'viworks' })));
    assert.ok(other.includes('PermitRootLogin no') && other.includes('AllowUsers viworks'));
  });

  test('refuses injection through every option', () => {
    for (const bad of [
      opts({ listenAddress: '0.0.0.0\nPasswordAuthentication yes' }),
      opts({ hostKeyPath: '/etc/k\nPermitTTY yes' }),
      opts({ authorizedKeysFile: '/etc/%h/keys' }),
      opts({ authorizedKeysFile: '/etc/a /tmp/b' }),
      opts({ pidFile: 'run/x.pid' }),
      opts({ allowUser: 'root bob' }),
      opts({ controlHome: 'home' }),
      opts({ controlHome: '/var/h\nPermitTTY yes' }),
    ]) {
      assert.throws(() => renderSshdConfig(sampleFacts(), bad), isConfigError);
    }
  });
});

describe('renderAuthorizedKeysLine', () => {
  test('forces the command and restricts everything; the comment is dropped', () => {
    const line = renderAuthorizedKeysLine(`ssh-ed25519 ${ED_BLOB} backend@viworks "x"`, GW);
    assert.equal(
      line,
      `command="${GW}",restrict,no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc ssh-ed25519 ${ED_BLOB}`,
    );
    assert.equal(renderAuthorizedKeysLine(`ssh-ed25519 ${ED_BLOB}\n`, GW), line);
  });

  test('refuses other key types, malformed blobs and injection', () => {
    const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(40, 1)]);
    for (const key of [
      `ssh-rsa ${rsaBlob.toString('base64')}`,
      `ssh-ed25519 ${rsaBlob.toString('base64')}`,
      `ssh-ed25519 ${Buffer.from(ED_BLOB, 'base64').subarray(0, 40).toString('base64')}`,
      `ssh-ed25519 ${ED_BLOB}\nssh-ed25519 ${ED_BLOB}`,
      `command="/bin/sh" ssh-ed25519 ${ED_BLOB}`,
      `ecdsa-sha2-nistp256 ${ED_BLOB}`,
      '',
    ]) {
      assert.throws(() => renderAuthorizedKeysLine(key, GW), isConfigError, JSON.stringify(key));
    }
    for (const command of [
      '/bin/gw"',
      '/bin/gw\n',
      '/bin/gw\\x',
      'gw',
      "/bin/gw'",
      '/bin/gw;sh',
      '/bin/$(x)',
    ]) {
      assert.throws(
        () => renderAuthorizedKeysLine(`ssh-ed25519 ${ED_BLOB}`, command),
        isConfigError,
        command,
      );
    }
  });
});

const peers = needPeers({ binaries: [SSHD, KEYGEN], apt: 'openssh-server' });

describe('real OpenSSH 9.2 accepts the rendered files', { skip: peers.skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-sshd-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('sshd -t accepts the config; ssh-keygen reads the authorized_keys line', async () => {
    const hostKey = join(dir, 'host_ed25519');
    // ssh-keygen writes the key itself: no key material passes through argv or this process.
    await runOk([KEYGEN, '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    const conf = join(dir, 'sshd_config');
    const authorized = join(dir, 'authorized_keys');
    writePrivate(
      conf,
      renderSshdConfig(sampleFacts(), opts({ listenAddress: '127.0.0.1', hostKeyPath: hostKey })),
    );
    const t = await run([SSHD, '-t', '-f', conf]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stderr.trim(), '', 'sshd warned about the config');
    // The effective config (-T) shows the lock-down actually applies to the allowed user.
    const eff = await runOk([SSHD, '-T', '-f', conf, '-C', 'user=root,host=backend,addr=203.0.113.10']);
    for (const line of [
      'permitrootlogin forced-commands-only',
      'permittty no',
      'disableforwarding yes',
      'setenv HOME=/var/lib/viworks-gw/control-home',
      'maxsessions 10',
    ]) {
      assert.ok(eff.split('\n').includes(line), `effective config lacks ${line}`);
    }
    const pub = (await runOk([KEYGEN, '-y', '-f', hostKey])).trim();
    writePrivate(authorized, `${renderAuthorizedKeysLine(pub, GW)}\n`);
    const listed = await run([KEYGEN, '-l', '-f', authorized]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^256 SHA256:\S+ .*\(ED25519\)/);
  });
});
