import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { run } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { renderSystemdUnits, type SystemdUnitsOptions, UNIT_NAMES } from './systemd-units.js';
import { sampleFacts } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const ANALYZE = '/usr/bin/systemd-analyze';
const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');
const opts: SystemdUnitsOptions = {
  nodeBin: '/usr/bin/node',
  gwBin: '/opt/viworks/gateway/bin/viworks-gw.js',
  configPath: '/etc/viworks/gw.json',
  sshdConfigPath: '/etc/viworks/sshd_config',
  stateDir: '/var/lib/viworks-gw',
};

/** `Key=value` lines of one section of a unit file. */
function section(unit: string, name: string): string[] {
  const start = unit.indexOf(`[${name}]\n`);
  assert.ok(start >= 0, `no [${name}]`);
  const body = unit.slice(start + name.length + 3);
  const end = body.indexOf('\n[');
  return (end < 0 ? body : body.slice(0, end)).split('\n').filter((l) => l.includes('='));
}

describe('renderSystemdUnits', () => {
  const units = renderSystemdUnits(opts, sampleFacts('/etc/viworks'));

  test('the seven units, each with the header, deterministic', () => {
    assert.deepEqual(Object.keys(units).sort(), Object.values(UNIT_NAMES).sort());
    assert.deepEqual(Object.keys(units).sort(), [
      'fwknopd-viworks.service',
      'openvpn-viworks.service',
      'rsyslog-viworks.service',
      'stunnel-viworks.service',
      'viworks-gw-frontdoor.service',
      'viworks-gw-observe.service',
      'viworks-gw-sshd.service',
    ]);
    for (const text of Object.values(units)) assert.equal(text.split('\n')[0], GENERATED_HEADER);
    assert.deepEqual(renderSystemdUnits(opts, sampleFacts('/etc/viworks')), units);
  });

  test('daemon units are hardened and may write only their own paths', () => {
    for (const name of [
      UNIT_NAMES.stunnel,
      UNIT_NAMES.openvpn,
      UNIT_NAMES.fwknopd,
      UNIT_NAMES.rsyslog,
      UNIT_NAMES.observer,
      UNIT_NAMES.front_door,
    ]) {
      const s = section(units[name] ?? '', 'Service');
      for (const line of [
        'Restart=on-failure',
        'ProtectSystem=strict',
        'PrivateTmp=yes',
        'NoNewPrivileges=yes',
        'ProtectHome=yes',
      ]) {
        assert.ok(s.includes(line), `${name} lacks ${line}`);
      }
      assert.ok(
        s.some((l) => l.startsWith('ReadWritePaths=/')),
        `${name} lacks ReadWritePaths`,
      );
    }
    const stunnel = section(units[UNIT_NAMES.stunnel] ?? '', 'Service');
    assert.ok(stunnel.includes('ExecStart=/usr/bin/stunnel4 /etc/viworks/stunnel.conf'));
    assert.ok(stunnel.includes('PIDFile=/etc/viworks/stunnel.pid'));
    const fwknopd = section(units[UNIT_NAMES.fwknopd] ?? '', 'Service');
    assert.ok(fwknopd.includes('ExecStart=/usr/sbin/fwknopd --foreground -c /etc/viworks/fwknopd.conf'));
    assert.ok(fwknopd.includes('ReadWritePaths=/etc/viworks/fwknop-run /run/xtables.lock'));
    // The same log file as in direct mode, not the journal: pull_logs and the forwarder read it.
    assert.ok(fwknopd.includes('StandardOutput=append:/var/lib/viworks-gw/fwknopd.log'));
    assert.ok(fwknopd.includes('StandardError=append:/var/lib/viworks-gw/fwknopd.log'));
    const ovpn = section(units[UNIT_NAMES.openvpn] ?? '', 'Service');
    assert.ok(
      ovpn.includes('ExecStart=/usr/sbin/openvpn --suppress-timestamps --config /etc/viworks/openvpn.conf'),
    );
  });

  test('the SIEM forwarder runs its own config, writes only its own dir, never starts unconfigured', () => {
    const unit = units[UNIT_NAMES.rsyslog] ?? '';
    const s = section(unit, 'Service');
    assert.ok(s.includes('ExecStart=/usr/sbin/rsyslogd -n -iNONE -f /var/lib/viworks-gw/siem/rsyslogd.conf'));
    assert.ok(s.includes('Type=notify'));
    assert.ok(s.includes('ReadWritePaths=/var/lib/viworks-gw/siem'));
    const u = section(unit, 'Unit');
    assert.ok(u.includes('ConditionPathExists=/var/lib/viworks-gw/siem/rsyslogd.conf'));
    assert.ok(u.includes(`After=${UNIT_NAMES.fwknopd}`));
  });

  test('the data-plane normalizer runs beside gwBin on its rendered config, only while it exists', () => {
    const unit = units[UNIT_NAMES.observer] ?? '';
    const s = section(unit, 'Service');
    assert.ok(
      s.includes(
        'ExecStart=/usr/bin/node /opt/viworks/gateway/bin/viworks-gw-observe.js --config /var/lib/viworks-gw/observe/observer.json',
      ),
      s.join('\n'),
    );
    assert.ok(s.includes('Type=simple'));
    // The state dir: the node lock it takes is created there per request.
    assert.ok(s.includes('ReadWritePaths=/var/lib/viworks-gw'));
    const u = section(unit, 'Unit');
    assert.ok(u.includes('ConditionPathExists=/var/lib/viworks-gw/observe/observer.json'));
    const own = renderSystemdUnits({ ...opts, observeBin: '/usr/lib/viworks/observe.js' }, sampleFacts());
    assert.match(
      own[UNIT_NAMES.observer] ?? '',
      /ExecStart=\/usr\/bin\/node \/usr\/lib\/viworks\/observe\.js /,
    );
    assert.throws(
      () => renderSystemdUnits({ ...opts, observeBin: '/x y\nExecStartPre=/bin/sh' }, sampleFacts()),
      isConfigError,
    );
  });

  test('the front-door capture runs beside gwBin on its rendered config, with only capture capabilities', () => {
    const unit = units[UNIT_NAMES.front_door] ?? '';
    const s = section(unit, 'Service');
    assert.ok(
      s.includes(
        'ExecStart=/usr/bin/node /opt/viworks/gateway/bin/viworks-gw-frontdoor.js --config /var/lib/viworks-gw/front-door/front-door.json',
      ),
      s.join('\n'),
    );
    assert.ok(s.includes('CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_SETUID CAP_SETGID'));
    assert.ok(s.includes('ReadWritePaths=/var/lib/viworks-gw /var/lib/viworks-gw/front-door'), s.join('\n'));
    const u = section(unit, 'Unit');
    assert.ok(u.includes('ConditionPathExists=/var/lib/viworks-gw/front-door/front-door.json'));
    assert.ok(u.includes(`After=${UNIT_NAMES.stunnel}`));
    const own = renderSystemdUnits({ ...opts, frontDoorBin: '/usr/lib/viworks/door.js' }, sampleFacts());
    assert.match(
      own[UNIT_NAMES.front_door] ?? '',
      /ExecStart=\/usr\/bin\/node \/usr\/lib\/viworks\/door\.js /,
    );
    assert.throws(
      () => renderSystemdUnits({ ...opts, frontDoorBin: '/x y\nExecStartPre=/bin/sh' }, sampleFacts()),
      isConfigError,
    );
  });

  test('the control sshd runs the rendered sshd_config in the foreground', () => {
    const s = section(units[UNIT_NAMES.sshd] ?? '', 'Service');
    assert.ok(s.includes('ExecStart=/usr/sbin/sshd -D -f /etc/viworks/sshd_config'));
    assert.ok(s.includes('ExecStartPre=/usr/sbin/sshd -t -f /etc/viworks/sshd_config'));
    assert.ok(s.includes('Restart=on-failure'));
  });

  test('refuses unsafe paths', () => {
    assert.throws(
      () => renderSystemdUnits({ ...opts, sshdConfigPath: '/etc/x\nExecStartPost=/bin/sh' }, sampleFacts()),
      isConfigError,
    );
    assert.throws(() => renderSystemdUnits({ ...opts, gwBin: 'relative.js' }, sampleFacts()), isConfigError);
    assert.throws(
      () => renderSystemdUnits({ ...opts, stateDir: '/var/lib/x\nExecStartPre=/bin/sh' }, sampleFacts()),
      isConfigError,
    );
    const f = sampleFacts();
    assert.throws(
      () => renderSystemdUnits(opts, { ...f, paths: { ...f.paths, stunnelConf: '/etc/a b' } }),
      isConfigError,
    );
  });
});

const peers = needPeers({ binaries: [ANALYZE], apt: 'systemd' });

describe('systemd-analyze verify', { skip: peers.skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-units-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('finds nothing to complain about in any unit', async () => {
    const units = renderSystemdUnits({ ...opts, stateDir: join(dir, 'state') }, sampleFacts(dir));
    const files = Object.entries(units).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const r = await run([ANALYZE, 'verify', '--man=no', ...files], { timeoutMs: 30_000 });
    // verify exits 0 even for unknown keys or bad values; what it prints is the verdict.
    assert.equal(r.code, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
  });

  test('positive control: it does complain about a broken unit', async () => {
    const bad = join(dir, 'broken.service');
    writeFileSync(bad, '[Service]\nExecStart=/usr/bin/true\nProtectSystem=sometimes\n');
    const r = await run([ANALYZE, 'verify', '--man=no', bad], { timeoutMs: 30_000 });
    assert.match(`${r.stdout}${r.stderr}`, /protect system/i);
  });
});
