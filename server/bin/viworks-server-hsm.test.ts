// The HSM wiring end to end (docs/audit.md#hsm): `viworks-server` configured only through
// VIWORKS_PKCS11_* with a SoftHSM2 token. `start` must report every intermediate CA key and the
// audit key as pkcs11; `audit seal` must sign with the token's ECDSA P-256 key; `audit verify` and the
// auditors' standalone verifier (siem/verify/viworks-audit-verify.mjs) must accept the trail with the
// published ECDSA key — and the standalone verifier must refuse one flipped signature byte.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BACKEND_ROUTES } from '../../core/api/backend-routes.js';
import { freePort } from '../../scripts/testkit/ports.js';
import { createSoftHsmToken, type SoftHsmToken, softHsmPeers } from '../../scripts/testkit/softhsm.js';
import { openDatabase } from '../data/database.js';
import { loadOrCreateSecrets } from '../secrets.js';
import { databaseBatches } from '../services/audit/copies.js';
import { AuditService } from '../services/audit/service.js';

const peers = softHsmPeers();
const BIN = join(import.meta.dirname, 'viworks-server.ts');
const VERIFIER = resolve(import.meta.dirname, '../../siem/verify/viworks-audit-verify.mjs');

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      file,
      [...args],
      { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        done({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

const json = (r: Ran) => {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

/** GET /health over TLS, trusting only the backend's root CA (the server certificate comes from int-tls). */
function health(url: string, caFile: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = httpsGet(
      {
        host: '127.0.0.1',
        port: Number(port),
        servername: hostname,
        ca: readFileSync(caFile),
        path: BACKEND_ROUTES.health.path,
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.setTimeout(10_000, () => req.destroy(new Error('health: timeout')));
  });
}

/** Flips one bit in the middle of a base64 signature (r‖s for ECDSA P-256). */
function flipSignatureBit(sig: string): string {
  const bytes = Buffer.from(sig, 'base64');
  bytes[20] = (bytes[20] as number) ^ 0x01;
  return bytes.toString('base64');
}

describe('viworks-server with its keys in a PKCS#11 token (SoftHSM2)', { skip: peers.skip }, () => {
  let token: SoftHsmToken;
  let root: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let backend: ChildProcess | null = null;
  const server = (args: string[]) => run(process.execPath, ['--import', 'tsx', BIN, ...args], env);
  const verifier = (args: string[]) => run(process.execPath, [VERIFIER, ...args], { PATH: env.PATH });

  before(async () => {
    token = await createSoftHsmToken();
    root = mkdtempSync(join(tmpdir(), 'viw-cli-hsm-'));
    dataDir = join(root, 'data');
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      SOFTHSM2_CONF: token.env.SOFTHSM2_CONF,
      VIWORKS_DATA_DIR: dataDir,
      VIWORKS_LISTEN_HOST: '127.0.0.1',
      VIWORKS_LISTEN_PORT: String(await freePort()),
      VIWORKS_PKCS11_MODULE: token.module,
      VIWORKS_PKCS11_TOKEN: token.tokenLabel,
      VIWORKS_PKCS11_PIN_FILE: token.pinFile,
    };
  });
  after(async () => {
    if (backend?.pid && backend.exitCode === null && backend.signalCode === null)
      process.kill(backend.pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
    await token.destroy();
  });

  it('init, then start: the banner reports every intermediate CA key and the audit key in the token', {
    timeout: 120_000,
  }, async () => {
    json(await server(['init', '--json']));
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'start', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    backend = child;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const line = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) done(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (code) => fail(new Error(`start exited ${code}:\n${stderr}`)));
    });
    const banner = JSON.parse(line) as { url: string; ca_file: string; key_storage: Record<string, string> };
    assert.deepEqual(banner.key_storage, {
      root: 'file',
      'int-tls': 'pkcs11',
      'int-vpn': 'pkcs11',
      'int-device': 'pkcs11',
      audit: 'pkcs11',
    });
    // A clean stop writes a last checkpoint, signed by the token's key.
    // 'close', not 'exit': stderr is read to its end before it is judged.
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    // It serves TLS with the certificate int-tls signed in the token. Answering also proves the
    // tick that wrote the banner is over: viworks-server installs its SIGTERM handler only after the
    // banner, and a SIGTERM before that ends the process without its clean stop.
    assert.equal(await health(banner.url, banner.ca_file), 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.ok(!stderr.includes(readFileSync(token.pinFile, 'utf8').trim()), 'the PIN stays out of the log');
  });

  it('audit seal signs with the token (ECDSA P-256); audit verify and the standalone verifier accept it', {
    timeout: 120_000,
  }, async () => {
    // The clean stop sealed what init and start recorded; what happens after it waits for `audit seal`.
    const before = await openDatabase({ dataDir });
    try {
      const audit = new AuditService(
        before.db,
        { env: 'prod', site: 'default', tenant_id: 'default' },
        loadOrCreateSecrets(dataDir).pseudonymKey,
        { dataDir },
      );
      for (let i = 0; i < 3; i++)
        await audit.record({ component: 'backend', action: 'auth.login', result: 'failure' });
    } finally {
      await before.close();
    }
    const sealed = json(await server(['audit', 'seal', '--json'])) as {
      sealed: { batch: number; first_seq: number }[];
    };
    assert.equal(sealed.sealed.length, 1, 'the three new events, in one batch');
    const batches = sealed.sealed[0]!.batch;
    const sealedSeq = sealed.sealed[0]!.first_seq;
    const proof = json(await server(['audit', 'prove', String(sealedSeq), '--json'])) as {
      manifest: { alg: string; key_id: string };
    };
    assert.equal(proof.manifest.alg, 'ecdsa-p256-sha256');
    // The token's public key is published under its key id; it is the one that signed.
    const published = join(dataDir, 'audit', 'keys', `${proof.manifest.key_id}.pem`);
    const key = createPublicKey(readFileSync(published, 'utf8'));
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const verified = json(await server(['audit', 'verify', '--json'])) as {
      ok: boolean;
      sources: { batches: { verified: number }; checkpoints: number }[];
    };
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.equal(verified.sources[0]!.batches.verified, batches, "the server's batches and this one");
    assert.ok(verified.sources[0]!.checkpoints >= 1);

    // What an auditor is handed: the NDJSON copy, the manifests, the checkpoints and the public key.
    const manifests = join(root, 'manifests');
    mkdirSync(manifests);
    const database = await openDatabase({ dataDir });
    try {
      for (const b of await databaseBatches(database.db))
        writeFileSync(join(manifests, `${String(b.batch).padStart(12, '0')}.json`), b.text);
    } finally {
      await database.close();
    }
    const ndjson = join(dataDir, 'audit', 'audit.ndjson');
    const checkpoints = join(dataDir, 'audit', 'checkpoints.ndjson');
    const auditor = (dir: string, cps = checkpoints) =>
      verifier(['--key', published, '--ndjson', ndjson, '--manifests', dir, '--checkpoints', cps, '--json']);
    const intact = await auditor(manifests);
    assert.equal(intact.code, 0, intact.stdout + intact.stderr);
    const report = JSON.parse(intact.stdout) as {
      ok: boolean;
      batches: { verified: number };
      checkpoints: number;
    };
    assert.equal(report.ok, true);
    assert.equal(report.batches.verified, batches);
    assert.ok(report.checkpoints >= 1, 'the ECDSA checkpoint verified');

    // One flipped bit in batch 1's ECDSA signature.
    const forgedDir = join(root, 'manifests-forged');
    cpSync(manifests, forgedDir, { recursive: true });
    const first = join(forgedDir, readdirSync(forgedDir).sort()[0]!);
    const manifest = JSON.parse(readFileSync(first, 'utf8')) as { sig: string };
    writeFileSync(first, JSON.stringify({ ...manifest, sig: flipSignatureBit(manifest.sig) }));
    const forged = await auditor(forgedDir);
    assert.equal(forged.code, 1, forged.stdout + forged.stderr);
    const findings = (JSON.parse(forged.stdout) as { findings: { kind: string; batch?: number }[] }).findings;
    assert.ok(
      findings.some((f) => f.kind === 'manifest_bad_signature' && f.batch === 1),
      JSON.stringify(findings),
    );

    // And one flipped bit in an ECDSA checkpoint's signature.
    const forgedCps = join(root, 'checkpoints-forged.ndjson');
    const lines = readFileSync(checkpoints, 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as { v: number; alg: string; sig: string };
    assert.deepEqual([last.v, last.alg], [2, 'ecdsa-p256-sha256']);
    lines[lines.length - 1] = JSON.stringify({ ...last, sig: flipSignatureBit(last.sig) });
    writeFileSync(forgedCps, `${lines.join('\n')}\n`);
    const forgedCheckpoint = await auditor(manifests, forgedCps);
    assert.equal(forgedCheckpoint.code, 1, forgedCheckpoint.stdout + forgedCheckpoint.stderr);
    assert.match(forgedCheckpoint.stdout, /"kind":"checkpoint_bad_signature"/);
  });
});
