import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderNodeRules, renderSandboxRules, renderTableDelete } from './nft-rules.js';

const targets = [
  { host: '192.168.10.5', port: 8080 },
  { host: '192.168.20.9', port: 443 },
];

describe('renderSandboxRules', () => {
  const text = renderSandboxRules({
    ifname: 'vwbs0123456789',
    nodeAddress: '10.255.0.1',
    viewerPort: 6080,
    targets,
  });

  test('replaces the table atomically and lists exactly the granted pairs', () => {
    assert.ok(text.startsWith('add table inet viworks_sandbox\ndelete table inet viworks_sandbox\n'));
    assert.match(text, /elements = \{ 192\.168\.10\.5 \. 8080, 192\.168\.20\.9 \. 443 \}/);
  });

  test('default drop both ways; only the node end may open the viewer port; egress only to the set', () => {
    assert.match(text, /hook input priority filter; policy drop;/);
    assert.match(text, /hook output priority filter; policy drop;/);
    assert.match(text, /iifname "vwbs0123456789" ip saddr 10\.255\.0\.1 tcp dport 6080 ct state new accept/);
    assert.match(text, /oifname "vwbs0123456789" ip daddr \. tcp dport @granted ct state new accept/);
    // No rule accepts anything else: the accepts are lo, replies and the two above.
    const accepts = text.split('\n').filter((l) => / accept$/.test(l));
    assert.equal(accepts.length, 6);
    assert.doesNotMatch(text, /udp|53/);
    // The viewer port is dropped on loopback before loopback is accepted.
    const out = text.slice(text.indexOf('chain output'));
    assert.ok(out.indexOf('oif "lo" tcp dport 6080 counter drop') < out.indexOf('oif "lo" accept'));
    assert.ok(out.includes('oif "lo" tcp dport 6080 counter drop'));
  });
});

describe('renderNodeRules', () => {
  const text = renderNodeRules({
    table: 'viworks_browser_0123456789',
    ifname: 'vwbn0123456789',
    sandboxAddress: '10.255.0.2',
    pool: '10.255.0.0/16',
    targets,
  });

  test('its own table, replaced atomically', () => {
    assert.ok(
      text.startsWith(
        'add table inet viworks_browser_0123456789\ndelete table inet viworks_browser_0123456789\n',
      ),
    );
    assert.match(text, /^table inet viworks_browser_0123456789 \{$/m);
  });

  test('nothing from the sandbox to the node itself but replies', () => {
    const input = text.slice(text.indexOf('chain input'), text.indexOf('chain forward'));
    assert.match(
      input,
      /iifname "vwbn0123456789" ct state established,related accept\n\s+iifname "vwbn0123456789" counter drop/,
    );
  });

  test('forward: the pool is dropped before the grant, the grant is new TCP from the sandbox address only', () => {
    const fwd = text.slice(text.indexOf('chain forward'), text.indexOf('chain postrouting'));
    const poolDrop = fwd.indexOf('ip daddr 10.255.0.0/16 counter drop');
    const grant = fwd.indexOf(
      'ip saddr 10.255.0.2 ip daddr . tcp dport @granted ct state new meta mark set meta mark | 0x00200000 accept',
    );
    assert.ok(poolDrop > 0 && grant > poolDrop, fwd);
    assert.match(fwd, /oifname "vwbn0123456789" counter drop/);
  });

  test('masquerade only towards granted pairs', () => {
    assert.match(text, /ip saddr 10\.255\.0\.2 ip daddr \. tcp dport @granted masquerade/);
    assert.equal(text.match(/masquerade/g)?.length, 1);
  });
});

test('renderTableDelete works whether the table exists or not (add first)', () => {
  assert.equal(renderTableDelete('inet', 't'), 'add table inet t\ndelete table inet t\n');
});
