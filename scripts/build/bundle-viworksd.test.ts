// The bundled viworksd (what `npm run build` leaves in dist/daemon/bin/) is the real daemon in one
// file: it starts, parses its flags, refuses what it refused before; and what only a rare path
// needs stays out of the start: prom-client only in the lazily imported metrics chunk, the keyring
// binding only behind a dynamic import. Bundled inside the repository (dist/), where its external
// packages resolve from node_modules as they do for the shipped file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalClient } from '../../core/localclient/index.js';
import { packageRoot } from '../../core/package-root.js';
import { bundleViworksd } from './bundle-viworksd.js';

describe('bundled viworksd', () => {
  const dir = join(packageRoot(), 'dist', `.test-viworksd-bundle-${process.pid}`);
  const bundle = join(dir, 'viworksd.js');

  before(async () => {
    mkdirSync(dir, { recursive: true });
    const b = await bundleViworksd(join(packageRoot(), 'daemon/bin/viworksd.ts'), bundle);
    assert.ok(b.inputs > 100, `the bundle holds the daemon and its dependencies (${b.inputs})`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const viworksd = (args: string[]) =>
    spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', timeout: 30_000 });

  it('runs: --help prints the usage, an unknown flag is refused with 64', () => {
    const help = viworksd(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: viworksd /);
    const bad = viworksd(['--no-such-flag']);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /viworksd: .*no-such-flag/);
  });

  it('starts, answers on its socket, and stops on SIGTERM with 0', async () => {
    const state = mkdtempSync(join(tmpdir(), 'viw-bundle-d-'));
    const socketPath = join(state, 'd.sock');
    const args = ['--allow-unprivileged', '--keystore', 'file', '--log-level', 'error'];
    const child = spawn(
      process.execPath,
      [bundle, ...args, '--socket', socketPath, '--state-dir', join(state, 'state')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      const client = new LocalClient({ socketPath });
      let status: Awaited<ReturnType<LocalClient['status']>> | null = null;
      for (let i = 0; i < 200 && status === null && child.exitCode === null; i++) {
        status = await client.status().catch(() => null);
        if (status === null) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status?.state, 'idle', 'not enrolled: idle');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('keeps the shebang with the launch flags, and prom-client and the keyring out of the start', () => {
    const text = readFileSync(bundle, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1\n'));
    // Static imports of the entry are what loads at start; the near miss is a hoisted import.
    assert.doesNotMatch(text, /from\s*["']prom-client["']/);
    assert.doesNotMatch(text, /from\s*["']@napi-rs\/keyring["']/);
    assert.match(text, /import\(\s*["']@napi-rs\/keyring["']\s*\)/);
    const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.js'));
    const withProm = chunks.filter((f) =>
      /from\s*["']prom-client["']/.test(readFileSync(join(dir, 'chunks', f), 'utf8')),
    );
    assert.deepEqual(
      withProm.map((f) => f.replace(/-[A-Z0-9]+\.js$/, '')),
      ['metrics-instruments'],
    );
  });
});
