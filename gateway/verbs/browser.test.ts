// browser_spawn / browser_terminate through the real dispatcher, in-process, up to the point where a
// sandbox would start (gateway/verbs/browser-lab.test.ts goes further with real programs): what the
// node refuses before it changes anything, and what reaches the audit log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { BROWSER_PATH, type BrowserSpawnInput } from '../../core/gateway/browser.js';
import { handleRequest } from '../dispatch/run-request.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { writeApplied, writeSessions } from '../state/node-state.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { newViewerPath } from './browser.js';
import { redactViewerPaths } from './viewer-nginx.js';

let fx: NodeConfigFixture;
const PINNED = `s-${randomBytes(16).toString('hex')}`;
const UNPINNED = `s-${randomBytes(16).toString('hex')}`;
const UNKNOWN = `s-${randomBytes(16).toString('hex')}`;
const NOW = new Date('2026-12-04T20:00:00Z');
const LATER = Math.floor(NOW.getTime() / 1000) + 3600;

before(() => {
  fx = createNodeConfig({ listenAddress: '203.0.113.10' });
  writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings: sampleSettings(), services: {} });
  writeSessions(fx.config.state_dir, {
    v: 1,
    sessions: { [PINNED]: { expires_at: LATER, address: '10.8.0.2' }, [UNPINNED]: { expires_at: LATER } },
  });
});
after(() => rmSync(fx.root, { recursive: true, force: true }));

const spawnDoc = (over: Partial<BrowserSpawnInput> = {}): BrowserSpawnInput => ({
  targets: [{ name: 'wiki', host: '10.20.0.5', port: 80 }],
  clipboard: false,
  file_transfer: false,
  limits: { memory_mb: 512, pids: 256, cpu_pct: 100 },
  expires_at: LATER,
  ...over,
});

function call(command: string, stdin?: unknown) {
  const body = stdin === undefined ? [] : [Buffer.from(JSON.stringify(stdin))];
  return handleRequest(fx.config, {
    env: { SSH_ORIGINAL_COMMAND: command, SSH_CLIENT: '192.0.2.10 50000 2222' },
    stdin: Readable.from(body),
    now: () => NOW,
  });
}

const lastAudit = () =>
  JSON.parse(readFileSync(fx.config.audit_log, 'utf8').trim().split('\n').at(-1) ?? '{}') as Record<
    string,
    unknown
  >;

/** Nothing of a browser was made: no record, no location, no sandbox state. */
function nothingMade(): void {
  assert.equal(existsSync(join(fx.config.state_dir, 'browsers.json')), false);
  assert.equal(existsSync(join(fx.config.state_dir, 'viewer')), false);
  assert.equal(existsSync(join(fx.config.state_dir, 'browser')), false);
}

describe('browser_spawn refusals (nothing is made)', () => {
  test('an unknown session is VIW_E_NOT_FOUND: the verb never authorizes one', async () => {
    const { reply, exitCode } = await call(`browser_spawn ${UNKNOWN}`, spawnDoc());
    assert.equal(exitCode, 1);
    assert.equal(reply.error?.code, 'VIW_E_NOT_FOUND');
    nothingMade();
  });

  test('a known session without a pinned VPN address is refused (nobody could be allowed)', async () => {
    const { reply, exitCode } = await call(`browser_spawn ${UNPINNED}`, spawnDoc());
    assert.equal(exitCode, 1);
    assert.equal(reply.error?.code, 'VIW_E_CONFLICT');
    assert.match(reply.error?.message ?? '', /no VPN address/);
    nothingMade();
  });

  test('a target in a range the node uses is VIW_E_VALIDATION naming the field, not the value', async () => {
    for (const host of [
      '10.8.0.1',
      '10.8.0.3',
      '203.0.113.10',
      '127.0.0.1',
      '169.254.169.254',
      '10.255.0.2',
    ]) {
      const doc = spawnDoc({
        targets: [
          { name: 'wiki', host: '10.20.0.5', port: 80 },
          { name: 'evil', host, port: 2222 },
        ],
      });
      const { reply, exitCode } = await call(`browser_spawn ${PINNED}`, doc);
      assert.equal(exitCode, 2, host);
      assert.equal(reply.error?.code, 'VIW_E_VALIDATION');
      assert.equal(reply.error?.message, 'invalid request: targets[1].host is in a range this gateway uses');
    }
    nothingMade();
  });

  test('hostile shapes die at the schema: metacharacters, names, ports, unknown fields', async () => {
    const hostile: unknown[] = [
      spawnDoc({ targets: [{ name: 'wiki', host: '10.20.0.5;id', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'wiki', host: '$(reboot)', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'wiki', host: '010.20.0.5', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'wiki', host: 'intranet.corp', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'Wiki Page', host: '10.20.0.5', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'w'.repeat(33), host: '10.20.0.5', port: 80 }] }),
      spawnDoc({ targets: [{ name: 'wiki', host: '10.20.0.5', port: 65536 }] }),
      spawnDoc({ targets: [] }),
      { ...spawnDoc(), start_url: 'http://10.20.0.5/' },
    ];
    for (const doc of hostile) {
      const { reply, exitCode } = await call(`browser_spawn ${PINNED}`, doc);
      assert.equal(exitCode, 2, JSON.stringify(doc));
      assert.equal(reply.error?.code, 'VIW_E_VALIDATION');
    }
    nothingMade();
  });

  test('an expiry in the past is refused', async () => {
    const { reply } = await call(`browser_spawn ${PINNED}`, spawnDoc({ expires_at: LATER - 7200 }));
    assert.equal(reply.error?.code, 'VIW_E_VALIDATION');
    assert.match(reply.error?.message ?? '', /expires_at/);
    nothingMade();
  });

  test('the request line admits the session id only', async () => {
    for (const line of [
      `browser_spawn ${PINNED} extra`,
      'browser_spawn s-1234',
      `browser_terminate ${PINNED};id`,
    ]) {
      const { exitCode } = await call(line, spawnDoc());
      assert.equal(exitCode, 2, line);
    }
  });
});

describe('browser_terminate', () => {
  test('a session without a browser: removed false, changed false, one audit line', async () => {
    const { reply, exitCode } = await call(`browser_terminate ${PINNED}`);
    assert.equal(exitCode, 0, JSON.stringify(reply));
    assert.equal(reply.changed, false);
    assert.deepEqual(reply.result, { session: PINNED, removed: false });
    const audit = lastAudit();
    assert.equal(audit.verb, 'browser_terminate');
    assert.deepEqual(audit.args, [PINNED]);
  });
});

describe('the viewer path', () => {
  test('is BROWSER_PATH, fresh each time (CSPRNG, 192 bits)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = newViewerPath();
      assert.match(p, new RegExp(BROWSER_PATH));
      seen.add(p);
    }
    assert.equal(seen.size, 200);
  });

  test('is redacted from nginx messages, slashed or not', () => {
    const p = newViewerPath();
    const text = `duplicate location "${p}" in x:3; also ${p.slice(0, -1)} and /b/short/`;
    const out = redactViewerPaths(text);
    assert.ok(!out.includes(p.slice(3, -1)));
    assert.match(out, /\/b\/short\//);
  });
});
