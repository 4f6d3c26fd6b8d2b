// A request body with a secret in it (a password at login, a phone code, an enrollment token),
// sent through the real PinnedTransport by another process to the real backend (TLS 1.3), leaves no copy in
// that process once the call returned and the caller wiped its bytes — read from outside as root
// (/proc/<pid>/mem). Written at once, the body would be copied by Node into native buffers that are
// freed but never cleared (pinned-transport.ts sendBodyWhenSecure).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { needlesFound, writableRegions } from '../../scripts/testkit/memory-scan.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';

const peers = needPeers({ root: true });
const skip = process.platform === 'linux' ? peers.skip : 'Linux only';
const CHILD = fileURLToPath(new URL('./testing/post-secret-child.ts', import.meta.url));

let ts: TestServer;
before(async () => {
  ts = await startTestServer({ mode: 'development' });
});
after(() => ts?.stop());

/** Hex of random bytes, made without a string (the needle must not be in this process's text). */
function hexSecret(): Buffer {
  const raw = randomBytes(24);
  const digits = Buffer.from('0123456789abcdef');
  const out = Buffer.alloc(raw.length * 2);
  raw.forEach((b, i) => {
    out[2 * i] = digits[b >> 4]!;
    out[2 * i + 1] = digits[b & 15]!;
  });
  return out;
}

describe('a secret in a request body (PinnedTransport, another process, its memory read as root)', {
  skip,
}, () => {
  it('is nowhere in the sending process once the calls returned and the body was wiped', async () => {
    const secret = hexSecret();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const done = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          if (c.includes('done')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
      });
      const target = {
        url: `https://127.0.0.1:${ts.server.port}`,
        caPem: ts.ca,
        pins: ts.server.banner.backend_pins,
      };
      child.stdin.end(Buffer.concat([Buffer.from(`${JSON.stringify(target)}\n`), secret]));
      await done;
      const regions = writableRegions(child.pid!);
      assert.ok(regions.length > 10, 'the scan read the child');
      assert.deepEqual(needlesFound(regions, [{ name: 'the secret', bytes: secret }]), []);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
