// The forwarding table's batches: their exact text, that a delta names only its session, that bad
// values never reach the text, and — with the real nft in a namespace this test makes — that the
// kernel takes them: the full load twice, a delta on a loaded table (other sessions untouched), a
// removal twice (a no-op the second time), and a delta on a missing table refused (the caller then
// rebuilds the table).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { IP, run, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import {
  FORWARD_TABLE,
  type ForwardTablePlan,
  MAX_KERNEL_TIME_S,
  renderForwardTable,
  renderSessionRemoval,
  renderSessionUpdate,
  type SessionRules,
  sessionChain,
} from './forward-table.js';
import { DEFAULT_NFT } from './nft.js';

const A = `s-${'a'.repeat(32)}`;
const B = `s-${'b'.repeat(32)}`;
const EXP = 1_900_000_000;
const ruleA: SessionRules = {
  session: A,
  address: '10.8.0.2',
  networks: ['10.20.0.0/16', '192.168.50.0/24'],
  expiresAt: EXP,
  tag: { policy_id: `p-${'1'.repeat(32)}`, version: 3 },
};
const ruleB: SessionRules = {
  session: B,
  address: '10.8.0.3',
  networks: 'unrestricted',
  expiresAt: EXP,
  tag: null,
};
const plan: ForwardTablePlan = { pushedDns: ['10.0.0.53'], sessions: [ruleA, ruleB] };
const internal = (e: unknown) => (e as { code?: string }).code === 'VIW_E_INTERNAL';

describe('forwarding table batches', () => {
  test('a delta: only this session chain and map element, flushed then refilled', () => {
    assert.equal(
      renderSessionUpdate(ruleA),
      [
        `add chain inet viworks_gw sess_${'a'.repeat(32)}`,
        `flush chain inet viworks_gw sess_${'a'.repeat(32)}`,
        `add rule inet viworks_gw sess_${'a'.repeat(32)} meta time >= ${EXP} counter drop comment "p-${'1'.repeat(32)} v3"`,
        `add rule inet viworks_gw sess_${'a'.repeat(32)} ip daddr @pushed_dns meta l4proto { tcp, udp } th dport 53 goto allow`,
        `add rule inet viworks_gw sess_${'a'.repeat(32)} ip daddr { 10.20.0.0/16, 192.168.50.0/24 } goto allow`,
        `add element inet viworks_gw sessions { 10.8.0.2 : jump sess_${'a'.repeat(32)} }`,
        '',
      ].join('\n'),
    );
    assert.ok(!renderSessionUpdate(ruleA).includes(B.slice(2)));
    const b = renderSessionUpdate(ruleB);
    assert.match(b, /comment "node push_routes"/);
    assert.match(b, /sess_b{32} goto allow$/m, 'unrestricted: anywhere');
    const none = renderSessionUpdate({ ...ruleA, networks: [] });
    assert.ok(!none.includes('ip daddr {'), 'no networks: DNS only');
    const far = renderSessionUpdate({ ...ruleA, expiresAt: 2 ** 40 });
    assert.match(far, new RegExp(`meta time >= ${MAX_KERNEL_TIME_S} `));
  });

  test('the full table: replaced in one transaction, base chain first, every session', () => {
    const full = renderForwardTable(plan);
    const lines = full.split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'table inet viworks_gw {}',
      'delete table inet viworks_gw',
      'table inet viworks_gw {',
    ]);
    assert.match(full, /type filter hook forward priority filter - 10; policy accept;/);
    assert.match(full, /iifname "tun\*" jump from_tunnel/);
    assert.match(full, /oifname "tun\*" counter drop/);
    assert.match(full, /meta mark set meta mark \| 0x00200000 accept/);
    assert.match(full, /elements = \{ 10\.0\.0\.53 \}/);
    assert.equal(lines.filter((l) => l.startsWith('add element')).length, 2);
    assert.ok(!full.includes('flush chain'), 'a fresh table needs no flush');
    assert.equal(renderForwardTable(plan), full, 'deterministic');
    assert.ok(!renderForwardTable({ pushedDns: [], sessions: [] }).includes('elements'));
  });

  test('a removal adds before it deletes (a no-op when absent)', () => {
    assert.deepEqual(renderSessionRemoval(A, '10.8.0.2').trim().split('\n'), [
      `add chain inet viworks_gw sess_${'a'.repeat(32)}`,
      `add element inet viworks_gw sessions { 10.8.0.2 : jump sess_${'a'.repeat(32)} }`,
      'delete element inet viworks_gw sessions { 10.8.0.2 }',
      `flush chain inet viworks_gw sess_${'a'.repeat(32)}`,
      `delete chain inet viworks_gw sess_${'a'.repeat(32)}`,
    ]);
  });

  test('values that could change the program are refused, not rendered', () => {
    for (const bad of [
      { ...ruleA, session: 's-x } ; flush ruleset' },
      { ...ruleA, address: '10.8.0.2 } ; flush ruleset ; {' },
      { ...ruleA, networks: ['10.20.0.0/16 } accept ; {'] },
      { ...ruleA, networks: ['10.20.0.1/16'] },
      { ...ruleA, expiresAt: -1 },
      { ...ruleA, expiresAt: 1.5 },
      { ...ruleA, tag: { policy_id: 'p-x" accept "', version: 1 } },
    ]) {
      assert.throws(() => renderSessionUpdate(bad), internal, JSON.stringify(bad));
    }
    assert.throws(() => renderForwardTable({ pushedDns: ['10.0.0.53"'], sessions: [] }), internal);
    assert.throws(
      () => renderForwardTable({ ...plan, sessions: [ruleA, { ...ruleB, address: '10.8.0.2' }] }),
      internal,
    );
    assert.throws(() => sessionChain('nope'), internal);
  });
});

const peers = needPeers({ binaries: [DEFAULT_NFT, IP], root: true, apt: 'nftables iproute2' });

describe('forwarding table batches in the real nft', { skip: peers.skip }, () => {
  const ns = `viw-fwt-${randomBytes(4).toString('hex')}`;
  const nft = (args: readonly string[], input?: string) =>
    run([IP, 'netns', 'exec', ns, DEFAULT_NFT, ...args], input === undefined ? {} : { input });
  const load = async (batch: string) => {
    const r = await nft(['-f', '-'], batch);
    assert.equal(r.code, 0, `${r.stderr}\n${batch}`);
  };
  /** A chain's rules without counters (what traffic would change). */
  const chain = async (session: string) =>
    (
      await runOk([
        IP,
        'netns',
        'exec',
        ns,
        DEFAULT_NFT,
        'list',
        'chain',
        'inet',
        FORWARD_TABLE,
        sessionChain(session),
      ])
    ).replace(/counter packets [0-9]+ bytes [0-9]+/g, 'counter');
  const map = async () =>
    (
      await runOk([IP, 'netns', 'exec', ns, DEFAULT_NFT, 'list', 'map', 'inet', FORWARD_TABLE, 'sessions'])
    ).replace(/\s+/g, ' ');

  before(async () => {
    await runOk([IP, 'netns', 'add', ns]);
  });
  after(async () => {
    await run([IP, 'netns', 'del', ns]);
  });

  test('a delta on a missing table is refused (the caller rebuilds); the full table loads twice', async () => {
    assert.notEqual((await nft(['-f', '-'], renderSessionUpdate(ruleA))).code, 0);
    await load(renderForwardTable(plan));
    await load(renderForwardTable(plan));
    assert.match(await map(), /10\.8\.0\.2 : jump sess_a{32}, 10\.8\.0\.3 : jump sess_b{32}/);
    assert.match(await chain(A), /ip daddr \{ 10\.20\.0\.0\/16, 192\.168\.50\.0\/24 \} goto allow/);
  });

  test('a delta replaces one session rules and leaves the other session as it was', async () => {
    const before = await chain(B);
    await load(
      renderSessionUpdate({ ...ruleA, networks: ['10.20.0.0/16'], tag: { ...ruleA.tag!, version: 4 } }),
    );
    const a = await chain(A);
    assert.match(a, /ip daddr 10\.20\.0\.0\/16 goto allow/);
    assert.doesNotMatch(a, /192\.168\.50/);
    assert.match(a, / v4"/);
    assert.equal(await chain(B), before);
    // The same delta again: the same chain, no duplicate rule or element.
    await load(
      renderSessionUpdate({ ...ruleA, networks: ['10.20.0.0/16'], tag: { ...ruleA.tag!, version: 4 } }),
    );
    assert.equal(await chain(A), a);
    assert.equal((await map()).match(/10\.8\.0\.2 :/g)?.length, 1);
  });

  test('a removal takes the chain and the element; twice is a no-op; the other session stays', async () => {
    const before = await chain(B);
    await load(renderSessionRemoval(A, ruleA.address));
    await load(renderSessionRemoval(A, ruleA.address));
    assert.doesNotMatch(await map(), /10\.8\.0\.2/);
    assert.notEqual((await nft(['list', 'chain', 'inet', FORWARD_TABLE, sessionChain(A)])).code, 0);
    assert.equal(await chain(B), before);
    await run([IP, 'netns', 'exec', ns, DEFAULT_NFT, 'delete', 'table', 'inet', FORWARD_TABLE]);
    assert.equal((await runOk([IP, 'netns', 'exec', ns, DEFAULT_NFT, 'list', 'tables'])).trim(), '');
  });
});
