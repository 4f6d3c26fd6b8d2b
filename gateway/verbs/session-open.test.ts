// session_open in-process through the dispatcher (one request, one lock, one audit line), with a
// stand-in nft as in session-filter.test.ts: the device's keys, the session's CCD entry and its
// policy's forwarding from one document; the device argument and the keys only together; a
// document whose networks are refused changes nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { SessionFilterResult } from '../../core/gateway/control.js';
import { handleRequest } from '../dispatch/run-request.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { readSessions, readSpaKeys, writeApplied } from '../state/node-state.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';

const FAKE_NFT = `#!/bin/sh
d=$(dirname "$0")
in=$(cat)
printf 'ARGS %s\\n%s\\n---\\n' "$*" "$in" >> "$d/nft.log"
case "$*" in *list*) [ -e "$d/table" ] && exit 0; exit 1;; esac
case "$in" in *"delete table"*) : > "$d/table";; esac
exit 0
`;

let fx: NodeConfigFixture;
let nftDir = '';
const sid = () => `s-${randomBytes(16).toString('hex')}`;
const did = () => `d-${randomBytes(16).toString('hex')}`;
const POLICY = `p-${'e'.repeat(32)}`;
const EXPIRES_AT = Math.floor(Date.now() / 1000) + 3600;
const spa = () => ({
  key_base64: randomBytes(32).toString('base64'),
  hmac_key_base64: randomBytes(64).toString('base64'),
});
const doc = (networks: string[], keys?: ReturnType<typeof spa>) => ({
  ...(keys ? { spa: keys } : {}),
  ccd: { push_routes: ['10.30.0.0/24'], expires_at: EXPIRES_AT },
  filter: { policy: { policy_id: POLICY, version: 3 }, networks, expires_at: EXPIRES_AT },
});

before(() => {
  nftDir = mkdtempSync(join(tmpdir(), 'viw-fake-nft-'));
  writeFileSync(join(nftDir, 'nft'), FAKE_NFT, { mode: 0o755 });
  fx = createNodeConfig({ nft: join(nftDir, 'nft') });
  writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings: sampleSettings(), services: {} });
  // apply_config makes fwknop's directory on a real node.
  mkdirSync(dirname(fx.config.facts.paths.accessConf), { recursive: true });
});
after(() => {
  rmSync(fx.root, { recursive: true, force: true });
  rmSync(nftDir, { recursive: true, force: true });
});

function call(command: string, stdin: unknown) {
  return handleRequest(fx.config, {
    env: { SSH_ORIGINAL_COMMAND: command, SSH_CLIENT: '192.0.2.10 50000 2222' },
    stdin: Readable.from([Buffer.from(JSON.stringify(stdin))]),
  });
}
const ccdFile = (s: string) => join(fx.config.facts.paths.ccdDir, s);

describe('session_open', () => {
  test('keys, authorization and forwarding from one document; the ack is the filter ack', async () => {
    const [s, d, keys] = [sid(), did(), spa()];
    const r = await call(`session_open ${s} ${d}`, doc(['10.50.0.0/24'], keys));
    assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
    assert.deepEqual([r.reply.cmd, r.reply.changed], ['session_open', true]);
    assert.deepEqual(readSpaKeys(fx.config.state_dir).devices[d], keys);
    assert.match(readFileSync(ccdFile(s), 'utf8'), /^ifconfig-push 10\.8\.0\.\d+ 255\.255\.255\.0$/m);
    const record = readSessions(fx.config.state_dir).sessions[s];
    assert.deepEqual(record?.filter?.policy, { policy_id: POLICY, version: 3 });
    assert.deepEqual(record?.filter?.networks, ['10.50.0.0/24']);
    const ack = r.reply.result as SessionFilterResult;
    assert.deepEqual([ack.session, ack.installed, ack.networks], [s, true, 1]);
    // The same document again changes nothing (each step is idempotent).
    assert.equal((await call(`session_open ${s} ${d}`, doc(['10.50.0.0/24'], keys))).reply.changed, false);
  });

  test('without a device (no keys yet): authorization and forwarding only', async () => {
    const s = sid();
    const before = JSON.stringify(readSpaKeys(fx.config.state_dir));
    const r = await call(`session_open ${s}`, doc(['10.60.0.0/24']));
    assert.equal(r.exitCode, 0, JSON.stringify(r.reply));
    assert.ok(existsSync(ccdFile(s)));
    assert.equal(JSON.stringify(readSpaKeys(fx.config.state_dir)), before);
  });

  test('a device argument without keys, or keys without one, is refused (exit 2), nothing applied', async () => {
    for (const [command, body] of [
      [`session_open ${sid()} ${did()}`, doc(['10.70.0.0/24'])],
      [`session_open ${sid()}`, doc(['10.70.0.0/24'], spa())],
    ] as const) {
      const r = await call(command, body);
      assert.equal(r.exitCode, 2, JSON.stringify(r.reply));
      assert.equal(r.reply.error?.code, 'VIW_E_VALIDATION');
      assert.equal(existsSync(ccdFile(command.split(' ')[1] ?? '')), false);
    }
  });

  test('networks the filter would refuse fail the whole command before any step', async () => {
    const [s, d] = [sid(), did()];
    const r = await call(`session_open ${s} ${d}`, doc(['10.80.0.0/16', '10.80.1.0/24'], spa()));
    assert.equal(r.exitCode, 2, JSON.stringify(r.reply));
    assert.equal(existsSync(ccdFile(s)), false, 'not authorized');
    assert.equal(readSpaKeys(fx.config.state_dir).devices[d], undefined, 'no keys stored');
    assert.equal(readSessions(fx.config.state_dir).sessions[s], undefined);
  });
});
