import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { IP, run, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { FORWARD_MARK } from '../firewall/forward-table.js';
import { renderIptablesRules, VIWORKS_FORWARD_JUMP, VIWORKS_INPUT_JUMP } from './iptables-rules.js';
import { directives, sampleFacts, sampleSettings } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const IPTABLES = '/usr/sbin/iptables';
const RESTORE = '/usr/sbin/iptables-restore';
const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

describe('renderIptablesRules', () => {
  const out = renderIptablesRules(sampleSettings(), sampleFacts());

  test('the baseline, in restore format, deterministic', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderIptablesRules(sampleSettings(), sampleFacts()), out);
    assert.deepEqual(directives(out), [
      '*filter',
      ':INPUT DROP [0:0]',
      ':FORWARD DROP [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':VIWORKS_INPUT - [0:0]',
      '-A VIWORKS_INPUT -i lo -j ACCEPT',
      '-A VIWORKS_INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A VIWORKS_INPUT -s 198.51.100.0/24 -p tcp -m tcp --dport 2222 -j ACCEPT',
      '-A VIWORKS_INPUT -s 203.0.113.10/32 -p tcp -m tcp --dport 2222 -j ACCEPT',
      '-A VIWORKS_INPUT -s 10.8.0.0/24 -d 10.8.0.1/32 -i tun+ -p tcp -m tcp --dport 8080 -j ACCEPT',
      ':VIWORKS_FORWARD - [0:0]',
      '-A VIWORKS_FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A VIWORKS_FORWARD -s 10.8.0.0/24 -i tun+ -m mark --mark 0x200000/0x200000 -j ACCEPT',
      '-A VIWORKS_FORWARD -s 10.255.0.0/16 -i vwbn+ -m mark --mark 0x200000/0x200000 -j ACCEPT',
      'COMMIT',
    ]);
  });

  test('no rule accepts the SPA port (fwknopd reads it with pcap; an ACCEPT would answer probes)', () => {
    assert.ok(!out.includes('udp'));
    assert.ok(!out.includes(String(sampleSettings().spa_port)));
  });

  test('backend sources are de-duplicated and sorted; the jump is exported', () => {
    const twice = sampleSettings({ backend_cidrs: ['203.0.113.10/32', '203.0.113.10/32'] });
    assert.equal(
      directives(renderIptablesRules(twice, sampleFacts())).filter((l) => l.includes('2222')).length,
      1,
    );
    assert.deepEqual([...VIWORKS_INPUT_JUMP], ['INPUT', '-j', 'VIWORKS_INPUT']);
  });

  test('tunnel clients are forwarded only with the forwarding table mark, only from the pool and tun', () => {
    // Which networks is the per-session table's decision (forward-table.ts): the routes do not
    // appear here, and the mark is the table's.
    const none = directives(renderIptablesRules(sampleSettings({ push_routes: [] }), sampleFacts()));
    assert.deepEqual(
      none.filter((l) => l.startsWith('-A VIWORKS_FORWARD')),
      directives(out).filter((l) => l.startsWith('-A VIWORKS_FORWARD')),
    );
    assert.ok(out.includes(`--mark 0x${FORWARD_MARK.toString(16)}/`));
    assert.deepEqual([...VIWORKS_FORWARD_JUMP], ['FORWARD', '-j', 'VIWORKS_FORWARD']);
  });

  test('refuses a CIDR with host bits or junk', () => {
    for (const bad of ['10.0.0.1/8', '10.0.0.0/8 -j ACCEPT', '10.0.0.0/8\n-A INPUT -j ACCEPT']) {
      assert.throws(
        () => renderIptablesRules(sampleSettings({ backend_cidrs: [bad] }), sampleFacts()),
        isConfigError,
      );
    }
  });
});

const peers = needPeers({ binaries: [IPTABLES, RESTORE, IP], root: true, apt: 'iptables iproute2' });

describe('real iptables-restore --noflush in a fresh namespace', { skip: peers.skip }, () => {
  const ns = `viw-ipt-${randomBytes(4).toString('hex')}`;
  const inNs = (...argv: string[]) => [IP, 'netns', 'exec', ns, ...argv];
  const rules = renderIptablesRules(sampleSettings(), sampleFacts());
  const restore = () => run(inNs(RESTORE, '-w', '--noflush'), { input: rules });
  const list = async () => (await runOk(inNs(IPTABLES, '-w', '-S'))).trim().split('\n');

  before(async () => {
    await runOk([IP, 'netns', 'add', ns]);
    // Someone else's chain and rule (as fwknopd's): --noflush must leave them alone.
    await runOk(inNs(IPTABLES, '-w', '-N', 'FWKNOP_INPUT'));
    await runOk(inNs(IPTABLES, '-w', '-I', 'INPUT', '1', '-j', 'FWKNOP_INPUT'));
  });
  after(async () => {
    await run([IP, 'netns', 'del', ns]);
  });

  test('applies, keeps other chains, and re-applying does not duplicate anything', async () => {
    // viworks-gw's order: chain, idempotent jump (-C then -A), then the restore.
    await runOk(inNs(IPTABLES, '-w', '-N', 'VIWORKS_INPUT'));
    const addJump = async () => {
      if ((await run(inNs(IPTABLES, '-w', '-C', ...VIWORKS_INPUT_JUMP))).code !== 0) {
        await runOk(inNs(IPTABLES, '-w', '-A', ...VIWORKS_INPUT_JUMP));
      }
    };
    await addJump();
    const first = await restore();
    assert.equal(first.code, 0, first.stderr);
    const once = await list();
    assert.deepEqual(once, [
      '-P INPUT DROP',
      '-P FORWARD DROP',
      '-P OUTPUT ACCEPT',
      '-N FWKNOP_INPUT',
      '-N VIWORKS_FORWARD',
      '-N VIWORKS_INPUT',
      '-A INPUT -j FWKNOP_INPUT',
      '-A INPUT -j VIWORKS_INPUT',
      '-A VIWORKS_FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A VIWORKS_FORWARD -s 10.8.0.0/24 -i tun+ -m mark --mark 0x200000/0x200000 -j ACCEPT',
      '-A VIWORKS_FORWARD -s 10.255.0.0/16 -i vwbn+ -m mark --mark 0x200000/0x200000 -j ACCEPT',
      '-A VIWORKS_INPUT -i lo -j ACCEPT',
      '-A VIWORKS_INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A VIWORKS_INPUT -s 198.51.100.0/24 -p tcp -m tcp --dport 2222 -j ACCEPT',
      '-A VIWORKS_INPUT -s 203.0.113.10/32 -p tcp -m tcp --dport 2222 -j ACCEPT',
      '-A VIWORKS_INPUT -s 10.8.0.0/24 -d 10.8.0.1/32 -i tun+ -p tcp -m tcp --dport 8080 -j ACCEPT',
    ]);
    await addJump();
    const second = await restore();
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await list(), once);
  });

  test('a changed backend list replaces the old rules instead of adding to them', async () => {
    const changed = renderIptablesRules(sampleSettings({ backend_cidrs: ['192.0.2.0/24'] }), sampleFacts());
    const r = await run(inNs(RESTORE, '-w', '--noflush'), { input: changed });
    assert.equal(r.code, 0, r.stderr);
    const ssh = (await list()).filter((l) => l.includes('--dport 2222'));
    assert.deepEqual(ssh, ['-A VIWORKS_INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 2222 -j ACCEPT']);
  });
});
