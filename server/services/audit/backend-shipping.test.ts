// The whole of issue #15 in one running backend: a real viworks-server process with a WORM copy,
// Merkle batches every 5 s, and both SIEM paths configured — syslog over mutual TLS to a real
// rsyslogd and Elasticsearch _bulk to the test kit's receiver (no Debian package provides one; it
// enforces the documented API and our body signature). A backlog of events is shipped; the HTTPS
// receiver answers 500 and then 429; the backend is killed with SIGKILL while shipping; after a restart every event reaches both receivers (by
// sequence number, none missing), and `audit verify` checks the database, the WORM directory and
// the SIEM export (ECS) against the signed manifests.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromSiemDocument } from '../../../core/siem/format.js';
import { freePort } from '../../../scripts/testkit/ports.js';
import { needRsyslog, type RsyslogReceiver, startRsyslogReceiver } from '../../../scripts/testkit/rsyslog.js';
import {
  mintReceiverCertificate,
  type SiemHttpsReceiver,
  startSiemHttpsReceiver,
} from '../../../scripts/testkit/siem-https-receiver.js';
import { createTestPki } from '../../../scripts/testkit/test-pki.js';
import { openDatabase } from '../../data/database.js';
import { loadOrCreateSecrets } from '../../secrets.js';
import { AuditService } from './service.js';
import { loadOrCreateShippingKey } from './shipping/shipping-key.js';
import { receivedSeqs, waitFor } from './shipping/testing.js';
import { persistentTempDir, removeTree } from './worm/testing.js';

const peers = needRsyslog({ root: true });
const SERVER = join(import.meta.dirname, '..', '..', 'bin', 'viworks-server.ts');
const BACKLOG = 4000;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

function cli(args: string[], config: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...args, '--config', config], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `viworks-server start`, resolved once its banner is out. */
function startBackend(config: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, 'start', '--json', '--config', config], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`backend exited ${code}:\n${err}`)));
  });
}

const stopBackend = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

const syslogSeqs = async (receiver: RsyslogReceiver) => new Set(await receivedSeqs(receiver));

const httpsSeqs = (receiver: SiemHttpsReceiver) =>
  new Set(receiver.stored().map((doc) => fromSiemDocument('ecs', doc).seq));

test('a running backend ships its audit on both paths, loses nothing to SIGKILL mid-shipment, and every copy verifies', {
  skip: peers.skip,
  timeout: 300_000,
}, async () => {
  // The WORM copy needs a disk filesystem (not tmpfs) for immutable files.
  const root = persistentTempDir('viw-backend-ship-');
  cleanups.push(() => removeTree(root));
  const dataDir = join(root, 'data');
  mkdirSync(join(root, 'pki'), { recursive: true });
  const pki = await createTestPki(join(root, 'pki'));
  mkdirSync(join(root, 'rsyslog'), { recursive: true });
  const syslog = await startRsyslogReceiver({
    dir: join(root, 'rsyslog'),
    caFile: pki.caFile,
    certFile: pki.server.certFile,
    keyFile: pki.server.keyFile,
    permittedPeers: [pki.clientName],
  });
  cleanups.push(() => syslog.stop());
  // The shipping key is made where the backend will load it, so the receiver can trust it first.
  const shippingKey = loadOrCreateShippingKey(dataDir);
  const tls = await mintReceiverCertificate();
  const https = await startSiemHttpsReceiver({
    kind: 'elasticsearch',
    certPem: tls.certPem,
    keyPem: tls.keyPem,
    publicKeys: [shippingKey.publicKey],
    token: 'lab-es-api-key',
  });
  cleanups.push(() => https.close());
  writeFileSync(join(root, 'es-ca.pem'), tls.caPem);
  writeFileSync(join(root, 'es-token'), 'lab-es-api-key', { mode: 0o600 });
  const config = join(root, 'server.json');
  writeFileSync(
    config,
    JSON.stringify({
      dataDir,
      listenPort: await freePort(),
      audit: { batchIntervalS: 5, worm: { dir: join(root, 'worm'), retentionDays: 30 } },
      siem: {
        format: 'ecs',
        syslog: {
          host: '127.0.0.1',
          port: syslog.port,
          serverName: pki.serverName,
          caFile: pki.caFile,
          certFile: pki.client.certFile,
          keyFile: pki.client.keyFile,
        },
        https: {
          kind: 'elasticsearch',
          url: https.url,
          caFile: join(root, 'es-ca.pem'),
          index: 'viworks-audit',
          tokenFile: join(root, 'es-token'),
        },
      },
    }),
  );
  const init = await cli(['init', '--json'], config);
  assert.equal(init.code, 0, init.stderr);

  // A backlog, as a second instance (or a long SIEM outage) leaves it: written straight to the trail.
  const database = await openDatabase({ dataDir });
  const audit = new AuditService(
    database.db,
    { env: 'test', site: 'ship', tenant_id: 'default' },
    loadOrCreateSecrets(dataDir).pseudonymKey,
    { dataDir },
  );
  for (let i = 0; i < BACKLOG; i++)
    await audit.record({
      component: 'backend',
      action: 'auth.login',
      result: 'failure',
      src_ip: '192.0.2.7',
    });
  await database.close();

  // The HTTPS receiver first answers 500 twice: retried with backoff, nothing lost.
  https.failNext(2, 500);
  let backend = await startBackend(config);
  cleanups.push(() => stopBackend(backend, 'SIGKILL'));
  await waitFor('shipping under way', 60_000, async () => (await syslogSeqs(syslog)).size >= 300, {
    pollMs: 20,
  });
  await stopBackend(backend, 'SIGKILL');
  const atKill = (await syslogSeqs(syslog)).size;
  assert.ok(atKill < BACKLOG, `the kill came after shipping finished (${atKill}): it proves nothing`);

  // After the restart it answers 429 with Retry-After twice: honoured, nothing lost.
  https.failNext(2, 429, 1);
  backend = await startBackend(config);
  // Everything in the database (the backlog, the first admin, any shipping alerts) reaches both.
  const stored = async () => {
    const db = await openDatabase({ dataDir });
    try {
      return Number((await db.db.auditEvent.findFirst({ orderBy: { seq: 'desc' } }))?.seq ?? 0);
    } finally {
      await db.close();
    }
  };
  const complete = (seqs: Set<number>, last: number) => {
    for (let s = 1; s <= last; s++) if (!seqs.has(s)) return false;
    return true;
  };
  await waitFor(
    'every event on both paths',
    120_000,
    async () => {
      const last = await stored();
      return complete(await syslogSeqs(syslog), last) && complete(httpsSeqs(https), last);
    },
    { pollMs: 20 },
  );
  // A clean stop seals the rest into a signed batch and writes it to the WORM copy.
  await stopBackend(backend, 'SIGTERM');
  const last = await stored();
  assert.ok(last > BACKLOG);
  assert.equal((await syslogSeqs(syslog)).size, last, 'syslog: exactly the stored seqs, duplicates merged');
  assert.equal(httpsSeqs(https).size, last);
  const statuses = https.requests().map((r) => r.status);
  // (The kill may land during the backoff after the first 500; the 429s come after the restart.)
  assert.ok(statuses.includes(500), JSON.stringify(statuses));
  assert.equal(statuses.filter((st) => st === 429).length, 2, JSON.stringify(statuses));

  https.exportNdjson(join(root, 'siem-export.ndjson'));
  const verify = await cli(
    ['audit', 'verify', '--json', '--worm', join(root, 'worm'), '--siem', join(root, 'siem-export.ndjson')],
    config,
  );
  const report = JSON.parse(verify.stdout) as {
    ok: boolean;
    sources: { source: string; ok: boolean; events: number }[];
  };
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.deepEqual(
    report.sources.map((s) => [s.source, s.ok]),
    [
      ['database', true],
      ['worm', true],
      ['siem', true],
    ],
  );
});
