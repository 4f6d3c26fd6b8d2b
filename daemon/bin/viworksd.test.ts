// The viworksd entry point as a process: flags, the local API on the given socket, a clean exit on
// SIGTERM (socket removed), and the refusal to run unprivileged without --allow-unprivileged.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LocalClient } from '../../core/localclient/index.js';
import { needPeers } from '../../scripts/testkit/peers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), 'viworksd.ts');
const ROOT = join(dirname(BIN), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'viw-bin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(path) && statSync(path).isSocket()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the daemon socket never appeared');
}

describe('viworksd', () => {
  it('serves the local API on --socket and exits cleanly on SIGTERM, removing the socket', async () => {
    const socket = join(dir, 'run', 'viworksd.sock');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        BIN,
        '--socket',
        socket,
        '--state-dir',
        join(dir, 'state'),
        '--keystore',
        'file',
        '--allow-unprivileged',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(socket);
    const status = await new LocalClient({ socketPath: socket }).status();
    assert.equal(status.state, 'idle');
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal(existsSync(socket), false);
    assert.match(stderr, /daemon\.stop ok/);
  });

  it('refuses bad flags with usage (exit 64)', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, ['--import', 'tsx', BIN, '--bogus'], { cwd: ROOT }),
      (e) => {
        assert.equal((e as { code?: number }).code, 64);
        return true;
      },
    );
  });

  it('refuses to run unprivileged without --allow-unprivileged (exit 77)', {
    skip: needPeers({ root: true }).skip,
  }, async () => {
    chmodSync(dir, 0o755);
    await assert.rejects(
      promisify(execFile)(
        '/usr/sbin/runuser',
        ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', BIN],
        {
          cwd: ROOT,
        },
      ),
      (e) => {
        assert.equal((e as { code?: number }).code, 77);
        return true;
      },
    );
  });
});
