// What signing leaves in a REAL process's memory, read from outside as root (/proc/<pid>/mem): a
// child signs several requests with the device's Ed25519 key from a file key store, runs two full
// collections and waits; its writable memory is searched for the seed and for SHA-512(seed) — the
// expanded secret scalar and nonce prefix that Ed25519 signs with (RFC 8032 §5.1.5), either of
// which forges signatures. The collections matter: OpenSSL keeps its parsed key until V8 collects
// node's wrapper of it, and clears it then; garbage on the JS heap is not cleared by a collection.
// The former tweetnacl path is run the same way as the control: the scan must find what it left,
// so a clean result for the daemon's path means something.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formsOf, type Needle, needlesFound, writableRegions } from '../../scripts/testkit/memory-scan.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { FileKeyStore } from './file-store.js';
import { DEVICE_SIGNING_KEY } from './keystore.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'testing', 'sign-child.ts');
const ROOT = join(HERE, '..', '..');

const peers = needPeers({ root: true });
const skip = process.platform === 'linux' ? peers.skip : 'Linux only';

describe('the Ed25519 signing path in a real process (its memory read as root)', { skip }, () => {
  let dir: string;
  let needles: Needle[];
  const keysDir = () => join(dir, 'keys');
  const machineId = () => join(dir, 'machine-id');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-sign-memory-'));
    writeFileSync(machineId(), `${randomBytes(16).toString('hex')}\n`);
    const seed = randomBytes(32);
    await new FileKeyStore({ dir: keysDir(), machineIdPaths: [machineId()] }).put(DEVICE_SIGNING_KEY, seed);
    const expanded = createHash('sha512').update(seed).digest();
    const scalar = Buffer.from(expanded.subarray(0, 32));
    scalar[0]! &= 248;
    scalar[31]! &= 127;
    scalar[31]! |= 64;
    needles = [
      ...formsOf('seed', seed),
      { name: 'secret scalar', bytes: scalar },
      { name: 'nonce prefix', bytes: Buffer.from(expanded.subarray(32)) },
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the child with `signer`, and returns which needles its memory holds once it has signed. */
  async function leftAfterSigning(signer: 'openssl' | 'tweetnacl'): Promise<string[]> {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', CHILD, keysDir(), machineId(), signer],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => c.toString().includes('signed') && resolve());
        child.on('exit', (code) => reject(new Error(`the child exited (${code}): ${stderr}`)));
      });
      const regions = writableRegions(child.pid!);
      assert.ok(regions.reduce((n, r) => n + r.length, 0) > 1024 * 1024, 'the scan read the process');
      return needlesFound(regions, needles);
    } finally {
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    }
  }

  it('control: the former tweetnacl path leaves the expanded key behind, and the scan sees it', async () => {
    const found = await leftAfterSigning('tweetnacl');
    assert.ok(found.length > 0, 'the scan finds nothing even where keys were left: it proves nothing');
  });

  it('the daemon path (OpenSSL through node:crypto) leaves neither the seed nor its expansion', async () => {
    assert.deepEqual(await leftAfterSigning('openssl'), []);
  });
});
