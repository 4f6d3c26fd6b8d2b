// The normalizer's config: rendered from gw.json and the backend's settings (the same log files
// pull_logs reads, the FQDN as gateway), and read back only from a root-owned file that nobody else
// can write, with a closed schema — it names the files a root process reads.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needPeers } from '../../scripts/testkit/peers.js';
import { frontDoorHelloLog } from '../front-door/paths.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { fwknopdLog } from '../services/service-paths.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { loadObserverConfig, observerConfigFor, renderObserverConf } from './observer-config.js';

let fx: NodeConfigFixture;
before(() => {
  fx = createNodeConfig();
});
after(() => rmSync(fx.root, { recursive: true, force: true }));

test('rendered from the node config and the settings', () => {
  const c = observerConfigFor(fx.config, sampleSettings());
  assert.deepEqual(c.logs, {
    fwknopd: fwknopdLog(fx.config),
    stunnel: fx.config.facts.paths.stunnelLog,
    openvpn: fx.config.facts.paths.openvpnLog,
  });
  assert.equal(c.hello_log, frontDoorHelloLog(fx.config));
  assert.equal(c.access_conf, fx.config.facts.paths.accessConf);
  assert.deepEqual([c.gateway, c.context.site], [sampleSettings().fqdn, sampleSettings().fqdn]);
  assert.throws(() => observerConfigFor({ ...fx.config, state_dir: '/var/lib/a b' }, sampleSettings()), {
    code: 'VIW_E_CONFIG',
  });
});

// The loader demands a root-owned file.
describe('loadObserverConfig', { skip: needPeers({ root: true }).skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-observe-conf-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads back what apply_config renders; refuses anything looser or larger', () => {
    const path = join(dir, 'observer.json');
    const text = renderObserverConf(fx.config, sampleSettings());
    writeFileSync(path, text, { mode: 0o600 });
    assert.deepEqual(loadObserverConfig(path), JSON.parse(text));
    const doc = JSON.parse(text) as Record<string, unknown>;
    // As an older viworks-gw rendered it, until apply_config renders it again: no hello log.
    const { hello_log: _, ...older } = doc;
    writeFileSync(path, JSON.stringify(older));
    assert.equal(loadObserverConfig(path).hello_log, undefined);
    for (const [what, content, mode] of [
      ['group-writable', text, 0o620],
      ['an unknown field', JSON.stringify({ ...doc, exec: '/bin/sh' }), 0o600],
      [
        'a relative log path',
        JSON.stringify({ ...doc, logs: { ...(doc.logs as object), stunnel: 'x.log' } }),
        0o600,
      ],
      ['a relative hello log path', JSON.stringify({ ...doc, hello_log: 'hellos.jsonl' }), 0o600],
      [
        'the hello log among the daemon logs',
        JSON.stringify({ ...doc, logs: { ...(doc.logs as object), hello: doc.hello_log } }),
        0o600,
      ],
      ['not JSON', '{', 0o600],
      ['too large', `${text}${' '.repeat(20_000)}`, 0o600],
    ] as const) {
      writeFileSync(path, content);
      chmodSync(path, mode);
      assert.throws(() => loadObserverConfig(path), { code: 'VIW_E_CONFIG' }, what);
    }
    assert.throws(() => loadObserverConfig(join(dir, 'missing.json')), { code: 'VIW_E_CONFIG' });
  });
});
