// The shipper over the real pieces: events recorded by AuditService into SQLite, the database source,
// the disk spool, the syslog transport and a real rsyslogd. The receiver's file is the truth: every
// event must be there, in order per connection, de-duplicated by sequenceId with none missing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { run } from '../../../../scripts/testkit/netns.js';
import { needRsyslog, startRsyslogReceiver } from '../../../../scripts/testkit/rsyslog.js';
import { createTestPki, type TestPki } from '../../../../scripts/testkit/test-pki.js';
import { openDatabase } from '../../../data/database.js';
import { AuditService } from '../service.js';
import { dbAuditSource } from './db-source.js';
import { formatSyslogMessage } from './rfc5424.js';
import { type ShipAlert, startShipper } from './shipper.js';
import { loadSyslogTransport } from './syslog-transport.js';
import { receivedSeqs, waitFor } from './testing.js';
import { ShipError, type ShipTransport } from './transport.js';

const peers = needRsyslog();
const diskFullPeers = needRsyslog({ root: true });
const HOSTNAME = 'backend-test';

/**
 * At-least-once, in order: de-duplicated, the seqs are exactly 1..n; and the file is a sequence of
 * ascending runs (one per connection) where a new run only ever repeats, never skips.
 */
function assertCompleteAndOrdered(seqs: readonly number[], n: number): { duplicates: number } {
  const unique = [...new Set(seqs)].sort((a, b) => a - b);
  assert.deepEqual(
    unique,
    Array.from({ length: n }, (_, i) => i + 1),
  );
  let max = 0;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i] as number;
    const prev = seqs[i - 1];
    assert.ok(s <= max + 1, `seq ${s} arrived before ${max + 1}`);
    assert.ok(prev === undefined || s === prev + 1 || s <= prev, `gap inside a run: ${prev} then ${s}`);
    max = Math.max(max, s);
  }
  return { duplicates: seqs.length - n };
}

interface World {
  dir: string;
  audit: AuditService;
  db: Awaited<ReturnType<typeof openDatabase>>;
  record(n: number): Promise<void>;
  close(): Promise<void>;
}

async function world(dir: string): Promise<World> {
  const db = await openDatabase({ dataDir: dir });
  const audit = new AuditService(db.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
  return {
    dir,
    audit,
    db,
    async record(n) {
      for (let i = 0; i < n; i++)
        await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    },
    close: () => db.close(),
  };
}

function ship(
  w: World,
  transport: ShipTransport,
  opts: { spoolDir?: string; maxBytes?: number; batchMax?: number; now?: () => Date } = {},
) {
  const alerts: ShipAlert[] = [];
  const warnings: string[] = [];
  const shipper = startShipper({
    path: 'syslog',
    transport,
    spoolDir: opts.spoolDir ?? join(w.dir, 'audit', 'spool', 'syslog'),
    maxBytes: opts.maxBytes ?? 16 * 1024 * 1024,
    source: dbAuditSource(w.db.db),
    ...(opts.batchMax ? { batchMax: opts.batchMax } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    onAlert: (a) => alerts.push(a),
    log: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
  });
  const unsubscribe = w.audit.onRecorded(() => shipper.wake());
  return {
    shipper,
    alerts,
    warnings,
    kinds: () => alerts.map((a) => a.kind),
    async stop() {
      unsubscribe();
      await shipper.stop();
    },
  };
}

describe('shipper → syslog over TLS → real rsyslogd', { skip: peers.skip }, () => {
  let root: string;
  let pki: TestPki;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'viw-shipper-'));
    pki = await createTestPki(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  async function setup(name: string) {
    const dir = join(root, name);
    mkdirSync(join(dir, 'rsyslog'), { recursive: true });
    const receiver = await startRsyslogReceiver({
      dir: join(dir, 'rsyslog'),
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      permittedPeers: [pki.clientName],
    });
    const transport = () =>
      loadSyslogTransport(
        {
          host: '127.0.0.1',
          port: receiver.port,
          serverName: pki.serverName,
          caFile: pki.caFile,
          certFile: pki.client.certFile,
          keyFile: pki.client.keyFile,
        },
        { hostname: HOSTNAME },
      );
    return { dir, receiver, transport, w: await world(dir) };
  }

  it('ships every event byte-exact and in order; wake() brings the lag down to one batch', async (t) => {
    const { receiver, transport, w } = await setup('deliver');
    const s = ship(w, transport());
    try {
      await w.record(20);
      await waitFor(
        '20 events at the receiver',
        10_000,
        async () => (await receiver.messages()).length >= 20,
      );
      const started = performance.now();
      await w.record(1);
      await waitFor('the 21st event', 5_000, async () => (await receiver.messages()).length >= 21);
      t.diagnostic(`one event, recorded → in rsyslog's file: ${(performance.now() - started).toFixed(0)} ms`);
      const rows = await dbAuditSource(w.db.db).readAfter(0, 100);
      const header = { hostname: HOSTNAME, procId: String(process.pid) };
      assert.deepEqual(
        await receiver.messages(),
        rows.map((r) => formatSyslogMessage(r, header)),
      );
      await waitFor('the cursor at 21', 3_000, () => s.shipper.stats().ackedSeq === 21);
      const stats = s.shipper.stats();
      assert.equal(stats.spooledSeq, 21);
      assert.equal(stats.spoolBytes, 0, 'acknowledged segments are deleted');
      assert.equal(stats.lagMs, 0);
      assert.equal(stats.consecutiveFailures, 0);
      assert.deepEqual(s.alerts, []);
    } finally {
      await s.stop();
      await receiver.stop();
      await w.close();
    }
  });

  it('bounded spool: fills up (spool_high, spool_full once), events wait in the database, all arrive later', async () => {
    const { receiver, transport, w } = await setup('bounded');
    await receiver.stop();
    const maxBytes = 8 * 1024;
    const s = ship(w, transport(), { maxBytes });
    try {
      await w.record(100);
      await waitFor('spool_full', 10_000, () => s.kinds().includes('spool_full'));
      const stats = s.shipper.stats();
      assert.ok(stats.spoolBytes <= maxBytes, `${stats.spoolBytes} > ${maxBytes}`);
      assert.ok(stats.spooledSeq < 100, 'the rest stayed in the database');
      assert.equal(stats.ackedSeq, 0);
      assert.ok(stats.lagMs > 0);
      await receiver.restart();
      await waitFor(
        '100 events at the receiver',
        60_000,
        async () => new Set(await receivedSeqs(receiver)).size >= 100,
      );
      assertCompleteAndOrdered(await receivedSeqs(receiver), 100);
      await waitFor('spool_recovered', 5_000, () => s.kinds().includes('spool_recovered'));
      // Draining a backlog empties and refills the spool every batch: still one alert per crossing.
      assert.deepEqual(s.kinds(), ['spool_high', 'spool_full', 'spool_recovered']);
      for (const a of s.alerts) {
        assert.equal(a.path, 'syslog');
        assert.equal(a.maxBytes, maxBytes);
      }
    } finally {
      await s.stop();
      await receiver.stop();
      await w.close();
    }
  });

  it('disk full under the spool (tmpfs): spool_error once, keeps running, catches up when space returns', {
    skip: diskFullPeers.skip,
  }, async () => {
    const { dir, receiver, transport, w } = await setup('diskfull');
    const mnt = join(dir, 'spoolfs');
    mkdirSync(mnt);
    const mounted = await run(['/usr/bin/mount', '-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt]);
    assert.equal(mounted.code, 0, mounted.stderr);
    const s = ship(w, transport(), { spoolDir: join(mnt, 'syslog'), maxBytes: 1024 * 1024 });
    try {
      await w.record(20);
      await waitFor('20 delivered', 10_000, () => s.shipper.stats().ackedSeq === 20);
      const filler = join(mnt, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const block = Buffer.alloc(4096);
        for (;;) writeSync(fd, block);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(fd);
      }
      await w.record(30);
      await waitFor('spool_error', 5_000, () => s.kinds().includes('spool_error'));
      assert.match(s.alerts.find((a) => a.kind === 'spool_error')?.reason ?? '', /ENOSPC/);
      await sleep(2_000);
      const stuck = s.shipper.stats();
      assert.equal(stuck.ackedSeq, 20, 'nothing new could be spooled, so nothing new was sent');
      assert.ok(stuck.lagMs > 0, 'the waiting events show as lag');
      assert.equal(
        s.kinds().filter((k) => k === 'spool_error').length,
        1,
        'one alert per episode, not per try',
      );
      rmSync(filler);
      await waitFor('50 delivered after space returned', 15_000, () => s.shipper.stats().ackedSeq === 50);
      assertCompleteAndOrdered(await receivedSeqs(receiver), 50);
      assert.ok(!readdirSync(join(mnt, 'syslog')).some((n) => n.endsWith('.tmp')));
    } finally {
      await s.stop();
      await receiver.stop();
      await w.close();
      const un = await run(['/usr/bin/umount', mnt]);
      assert.equal(un.code, 0, un.stderr);
    }
  });

  it('resumes after a stop from the acknowledged cursor, without sending acknowledged events again', async () => {
    const { receiver, transport, w } = await setup('resume');
    const first = ship(w, transport());
    await w.record(10);
    await waitFor('10 delivered', 10_000, () => first.shipper.stats().ackedSeq === 10);
    await first.stop();
    await w.record(5); // while no shipper runs
    const second = ship(w, transport());
    try {
      await waitFor('15 delivered', 10_000, () => second.shipper.stats().ackedSeq === 15);
      const seqs = await receivedSeqs(receiver);
      assert.equal(assertCompleteAndOrdered(seqs, 15).duplicates, 0);
    } finally {
      await second.stop();
      await receiver.stop();
      await w.close();
    }
  });
});

describe('shipper against misbehaving TLS receivers (node:tls)', () => {
  let dir: string;
  let pki: TestPki;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-shipper-bad-'));
    pki = await createTestPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('garbage and truncated streams: retryable failures, the cursor never moves, no alert per record', async () => {
    let connections = 0;
    const sockets = new Set<TLSSocket>();
    const server = createTlsServer(
      {
        cert: readFileSync(pki.server.certFile),
        key: readFileSync(pki.server.keyFile),
        ca: readFileSync(pki.caFile),
        requestCert: true,
        minVersion: 'TLSv1.3',
      },
      (socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        // Odd connections answer with garbage, even ones drop the stream after a few bytes.
        if (++connections % 2) socket.write('garbage');
        else socket.once('data', () => socket.destroy());
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const w = await world(join(dir, 'w'));
    const port = (server.address() as { port: number }).port;
    const s = ship(
      w,
      loadSyslogTransport({
        host: '127.0.0.1',
        port,
        serverName: pki.serverName,
        caFile: pki.caFile,
        certFile: pki.client.certFile,
        keyFile: pki.client.keyFile,
      }),
    );
    try {
      await w.record(50);
      await waitFor('three failed deliveries', 15_000, () => s.shipper.stats().consecutiveFailures >= 3);
      const stats = s.shipper.stats();
      assert.equal(stats.ackedSeq, 0);
      assert.equal(stats.spooledSeq, 50);
      assert.match(stats.lastError ?? '', /syslog receiver: (sent data|ECONNRESET|closed|connection closed)/);
      assert.ok(connections >= 3);
      assert.deepEqual(s.alerts, [], 'failing for less than 30 s raises nothing');
    } finally {
      await s.stop();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => server.close(r));
      await w.close();
    }
  });
});

describe('shipper retry policy (scripted transport)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-shipper-policy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A transport that fails as told, then delivers; it records when each attempt came. */
  function scripted(failures: readonly ShipError[]) {
    const attempts: number[] = [];
    const delivered: number[] = [];
    const transport: ShipTransport = {
      path: 'syslog',
      async send(records) {
        attempts.push(Date.now());
        const err = failures[attempts.length - 1];
        if (err) throw err;
        delivered.push(...records.map((r) => r.seq));
      },
      async close() {},
    };
    return { transport, attempts, delivered };
  }

  it('non-retryable: alerts delivery_failing at once and backs off for minutes', async () => {
    const w = await world(join(dir, 'nonretryable'));
    const t = scripted([new ShipError('HTTP 401', false)]);
    const s = ship(w, t.transport);
    try {
      await w.record(3);
      await waitFor('delivery_failing', 5_000, () => s.kinds().includes('delivery_failing'));
      await sleep(2_000);
      assert.equal(t.attempts.length, 1, 'no second attempt within the long backoff');
      assert.equal(s.alerts[0]?.reason, 'HTTP 401');
      assert.equal(s.shipper.stats().ackedSeq, 0);
    } finally {
      await s.stop();
      await w.close();
    }
  });

  it('honours retryAfterMs, then delivers and raises nothing', async () => {
    const w = await world(join(dir, 'retryafter'));
    const t = scripted([new ShipError('HTTP 429', true, 2_000)]);
    const s = ship(w, t.transport);
    try {
      await w.record(3);
      await waitFor('delivery', 8_000, () => t.delivered.length === 3);
      const gap = (t.attempts[1] as number) - (t.attempts[0] as number);
      assert.ok(gap >= 1_950, `retried after ${gap} ms`);
      assert.deepEqual(s.alerts, []);
    } finally {
      await s.stop();
      await w.close();
    }
  });

  it('delivery_failing after 30 s with events waiting, once; delivery_recovered on the next delivery', async () => {
    const w = await world(join(dir, 'failing'));
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const t = scripted(Array.from({ length: 3 }, () => new ShipError('ECONNREFUSED', true)));
    const s = ship(w, t.transport, { now });
    try {
      await w.record(2);
      await waitFor('a failure', 5_000, () => t.attempts.length >= 1);
      offset = 31_000; // the shipper's clock passes the 30 s mark; its backoff ends with it
      await waitFor('delivery_failing', 5_000, () => s.kinds().includes('delivery_failing'));
      await waitFor('recovery', 60_000, () => t.delivered.length === 2);
      await waitFor('delivery_recovered', 3_000, () => s.kinds().includes('delivery_recovered'));
      assert.deepEqual(s.kinds(), ['delivery_failing', 'delivery_recovered']);
    } finally {
      await s.stop();
      await w.close();
    }
  });
});
