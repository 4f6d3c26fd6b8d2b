// session_filter and the session verbs' forwarding side, in-process through the dispatcher, with a
// stand-in nft (binaries.nft) that records every batch: the strict grammar (refused whole, nothing
// applied), no back door for an unknown session, the ack, idempotence, stale versions, address
// pinning in the CCD, the rebuild when a delta is refused, removal on delete and on expiry, and what
// health reports. The kernel side is gateway/firewall/*.test.ts and session-filter-netns.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { HealthResult, SessionFilterResult } from '../../core/gateway/control.js';
import { handleRequest } from '../dispatch/run-request.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { readSessions, writeApplied } from '../state/node-state.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';

// Records each call (arguments, then the batch) to nft.log; `list` answers from the `table` flag
// file; a delta (a batch with `flush chain`) fails while `fail-delta` exists.
const FAKE_NFT = `#!/bin/sh
d=$(dirname "$0")
in=$(cat)
printf 'ARGS %s\\n%s\\n---\\n' "$*" "$in" >> "$d/nft.log"
case "$*" in *list*) [ -e "$d/table" ] && exit 0; exit 1;; esac
case "$in" in *"flush chain"*) [ -e "$d/fail-delta" ] && exit 1;; esac
case "$in" in *"delete table"*) : > "$d/table";; esac
exit 0
`;

let fx: NodeConfigFixture;
let nftDir = '';
const sid = () => `s-${randomBytes(16).toString('hex')}`;
const POLICY = `p-${'c'.repeat(32)}`;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
// One expiry for every document: a document is "the same" only with the same expires_at, and two
// calls a second apart would otherwise differ (CI caught that as a flake of the idempotence test).
const EXPIRES_AT = inAnHour();

before(() => {
  nftDir = mkdtempSync(join(tmpdir(), 'viw-fake-nft-'));
  writeFileSync(join(nftDir, 'nft'), FAKE_NFT, { mode: 0o755 });
  fx = createNodeConfig({ nft: join(nftDir, 'nft') });
});
after(() => {
  rmSync(fx.root, { recursive: true, force: true });
  rmSync(nftDir, { recursive: true, force: true });
});

function call(command: string, stdin?: unknown, now?: Date) {
  const body = stdin === undefined ? [] : [Buffer.from(JSON.stringify(stdin))];
  return handleRequest(fx.config, {
    env: { SSH_ORIGINAL_COMMAND: command, SSH_CLIENT: '192.0.2.10 50000 2222' },
    stdin: Readable.from(body),
    ...(now ? { now: () => now } : {}),
  });
}

const nftLog = () =>
  existsSync(join(nftDir, 'nft.log')) ? readFileSync(join(nftDir, 'nft.log'), 'utf8') : '';
const batches = () =>
  nftLog()
    .split('---\n')
    .filter((b) => b.startsWith('ARGS -f -'));
const clearLog = () => rmSync(join(nftDir, 'nft.log'), { force: true });
const doc = (networks: string[] | 'unrestricted', version = 1, policy_id = POLICY) => ({
  policy: { policy_id, version },
  networks,
  expires_at: EXPIRES_AT,
});
const ccd = { push_routes: ['10.30.0.0/24'], expires_at: inAnHour() };

describe('session_filter before the node has a pool (no apply_config yet)', () => {
  test('the tag is recorded, no address, nothing installed, nft never asked to change anything', async () => {
    const s = sid();
    assert.equal((await call(`vpn_user_create ${s}`, ccd)).exitCode, 0);
    assert.doesNotMatch(readFileSync(join(fx.config.facts.paths.ccdDir, s), 'utf8'), /ifconfig-push/);
    const r = await call(`session_filter ${s}`, doc(['10.50.0.0/24']));
    assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
    const ack = r.reply.result as SessionFilterResult;
    assert.deepEqual(
      { ...ack, expires_at: 0 },
      {
        session: s,
        policy: { policy_id: POLICY, version: 1 },
        address: null,
        installed: false,
        networks: 1,
        expires_at: 0,
      },
    );
    assert.deepEqual(batches(), []);
    const h = (await call('health')).reply.result as HealthResult;
    assert.equal(h.forwarding?.table_loaded, false);
    assert.deepEqual(
      h.forwarding?.sessions.find((x) => x.session === s),
      { session: s, address: null, policy: { policy_id: POLICY, version: 1 } },
    );
    assert.equal((await call(`vpn_user_delete ${s}`)).exitCode, 0);
  });
});

describe('session_filter on a configured node', () => {
  let s = '';
  before(() => {
    writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings: sampleSettings(), services: {} });
  });
  beforeEach(() => clearLog());

  test('vpn_user_create pins an address in the CCD and installs the node push_routes for it first', async () => {
    s = sid();
    const r = await call(`vpn_user_create ${s}`, ccd);
    assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
    const text = readFileSync(join(fx.config.facts.paths.ccdDir, s), 'utf8');
    assert.match(text, /^ifconfig-push 10\.8\.0\.2 255\.255\.255\.0$/m);
    assert.match(text, /^push "route 10\.30\.0\.0 255\.255\.255\.0"$/m);
    assert.equal(readSessions(fx.config.state_dir).sessions[s]?.address, '10.8.0.2');
    const [first, second] = batches();
    assert.equal(second, undefined, 'one delta (the stand-in accepts it)');
    assert.match(first ?? '', new RegExp(`flush chain inet viworks_gw sess_${s.slice(2)}`));
    assert.match(first ?? '', /ip daddr \{ 10\.20\.0\.0\/16, 192\.168\.50\.0\/24 \} goto allow/);
    assert.match(first ?? '', /comment "node push_routes"/);
    // A second session gets the next address.
    const other = sid();
    await call(`vpn_user_create ${other}`, ccd);
    assert.equal(readSessions(fx.config.state_dir).sessions[other]?.address, '10.8.0.3');
    // Repeating keeps the address; the rules are asserted again (a no-op in the kernel).
    assert.equal((await call(`vpn_user_create ${s}`, ccd)).reply.changed, false);
    assert.equal(readSessions(fx.config.state_dir).sessions[s]?.address, '10.8.0.2');
  });

  test('the ack states the tag now in effect; only this session is in the batch', async () => {
    const r = await call(`session_filter ${s}`, doc(['192.168.60.0/24', '10.50.0.0/24']));
    assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
    assert.equal(r.reply.changed, true);
    const ack = r.reply.result as SessionFilterResult;
    assert.deepEqual(
      [ack.policy, ack.address, ack.installed, ack.networks],
      [{ policy_id: POLICY, version: 1 }, '10.8.0.2', true, 2],
    );
    const [batch] = batches();
    assert.match(batch ?? '', /ip daddr \{ 10\.50\.0\.0\/24, 192\.168\.60\.0\/24 \} goto allow/);
    assert.match(batch ?? '', new RegExp(`comment "${POLICY} v1"`));
    const chains = [...(batch ?? '').matchAll(/sess_([0-9a-f]{32})/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(chains)], [s.slice(2)]);
    assert.deepEqual(readSessions(fx.config.state_dir).sessions[s]?.filter?.networks, [
      '10.50.0.0/24',
      '192.168.60.0/24',
    ]);
  });

  test('idempotent: the same document (in any order) is changed:false', async () => {
    const again = await call(`session_filter ${s}`, doc(['10.50.0.0/24', '192.168.60.0/24']));
    assert.equal(again.exitCode, 0);
    assert.equal(again.reply.changed, false);
    assert.equal((again.reply.result as SessionFilterResult).installed, true);
  });

  test('a stale version of the same policy is refused; a newer one or another policy applies', async () => {
    const newer = await call(`session_filter ${s}`, doc(['10.50.0.0/24'], 5));
    assert.deepEqual([newer.exitCode, newer.reply.changed], [0, true]);
    clearLog();
    const stale = await call(`session_filter ${s}`, doc(['10.50.0.0/24', '192.168.60.0/24'], 4));
    assert.equal(stale.exitCode, 1);
    assert.equal(stale.reply.error?.code, 'VIW_E_CONFLICT');
    assert.deepEqual(batches(), []);
    assert.deepEqual(readSessions(fx.config.state_dir).sessions[s]?.filter?.policy.version, 5);
    const other = await call(`session_filter ${s}`, doc('unrestricted', 0, 'p-default'));
    assert.equal(other.exitCode, 0, JSON.stringify(other.reply));
    assert.equal((other.reply.result as SessionFilterResult).networks, 'unrestricted');
    assert.match(batches()[0] ?? '', /sess_[0-9a-f]{32} goto allow$/m);
  });

  test('refused whole (exit 2), nothing recorded or applied: bad CIDRs, overlaps, unknown fields…', async () => {
    const before = readFileSync(join(fx.config.state_dir, 'sessions.json'), 'utf8');
    const good = doc(['10.50.0.0/24']);
    for (const bad of [
      { ...good, extra: true },
      { ...good, policy: { ...good.policy, extra: 1 } },
      { ...good, networks: ['10.50.0.1/24'] },
      { ...good, networks: ['10.50.0.0/24', '10.50.0.0/16'] },
      { ...good, networks: ['10.50.0.0/24', '10.50.0.0/24'] },
      { ...good, networks: ['0.0.0.0/0'] },
      { ...good, networks: ['010.50.0.0/24'] },
      { ...good, networks: ['10.50.0.0/24 '] },
      { ...good, networks: Array.from({ length: 65 }, (_, i) => `10.${i}.0.0/16`) },
      { ...good, networks: 'all' },
      { ...good, networks: null },
      { ...good, policy: { policy_id: 'p-1', version: 1 } },
      { ...good, policy: { policy_id: POLICY, version: -1 } },
      { ...good, policy: { policy_id: POLICY, version: 1.5 } },
      { networks: good.networks, expires_at: good.expires_at },
      { ...good, expires_at: 1 },
      'not an object',
    ]) {
      const r = await call(`session_filter ${s}`, bad);
      assert.equal(r.exitCode, 2, `${JSON.stringify(bad)} → ${JSON.stringify(r.reply)}`);
      assert.equal(r.reply.error?.code, 'VIW_E_VALIDATION');
    }
    for (const line of [`session_filter ${s} x`, 'session_filter s-1234', 'session_filter']) {
      assert.equal((await call(line, good)).exitCode, 2, line);
    }
    assert.equal(readFileSync(join(fx.config.state_dir, 'sessions.json'), 'utf8'), before);
    assert.deepEqual(batches(), []);
  });

  test('an unknown session is NOT_FOUND: never a back door to authorize one', async () => {
    const unknown = sid();
    const r = await call(`session_filter ${unknown}`, doc(['10.50.0.0/24']));
    assert.equal(r.exitCode, 1);
    assert.equal(r.reply.error?.code, 'VIW_E_NOT_FOUND');
    assert.equal(readSessions(fx.config.state_dir).sessions[unknown], undefined);
    assert.equal(existsSync(join(fx.config.facts.paths.ccdDir, unknown)), false);
    assert.deepEqual(batches(), []);
  });

  test('a refused delta (table gone, out of step) rebuilds the whole table from the state', async () => {
    writeFileSync(join(nftDir, 'fail-delta'), '');
    try {
      const r = await call(`session_filter ${s}`, doc(['10.70.0.0/24'], 1, 'p-default'));
      assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
      assert.equal(r.reply.changed, true);
      const [delta, full] = batches();
      assert.match(delta ?? '', /flush chain/);
      assert.match(full ?? '', /^delete table inet viworks_gw$/m);
      // Every session with an address is in the rebuilt table, this one with its new rules.
      for (const [id, rec] of Object.entries(readSessions(fx.config.state_dir).sessions)) {
        if (rec.address) assert.match(full ?? '', new RegExp(`${rec.address} : jump sess_${id.slice(2)}`));
      }
      assert.match(full ?? '', /ip daddr \{ 10\.70\.0\.0\/24 \} goto allow/);
    } finally {
      unlinkSync(join(nftDir, 'fail-delta'));
    }
  });

  test('health: the table is loaded, each session with its address and tag', async () => {
    const h = (await call('health')).reply.result as HealthResult;
    assert.equal(h.forwarding?.table_loaded, true);
    const mine = h.forwarding?.sessions.find((x) => x.session === s);
    assert.deepEqual(mine, {
      session: s,
      address: '10.8.0.2',
      policy: { policy_id: 'p-default', version: 1 },
    });
    const ids = h.forwarding?.sessions.map((x) => x.session) ?? [];
    assert.deepEqual(ids, [...ids].sort());
  });

  test('vpn_user_delete removes the rules (then the record); expiry does the same', async () => {
    const r = await call(`vpn_user_delete ${s}`);
    assert.equal(r.exitCode, 0);
    const [removal] = batches();
    assert.match(removal ?? '', /delete element inet viworks_gw sessions \{ 10\.8\.0\.2 \}/);
    assert.match(removal ?? '', new RegExp(`delete chain inet viworks_gw sess_${s.slice(2)}`));
    assert.equal(readSessions(fx.config.state_dir).sessions[s], undefined);
    // The freed address goes to the next session.
    const next = sid();
    await call(`vpn_user_create ${next}`, { ...ccd, expires_at: inAnHour() - 1800 });
    assert.equal(readSessions(fx.config.state_dir).sessions[next]?.address, '10.8.0.2');
    clearLog();
    await call('health', undefined, new Date((inAnHour() - 1000) * 1000));
    assert.match(batches()[0] ?? '', new RegExp(`delete chain inet viworks_gw sess_${next.slice(2)}`));
    assert.equal(readSessions(fx.config.state_dir).sessions[next], undefined);
  });
});
