// The fault tests of issue #15 against a real rsyslogd: the receiver gone for 60 s while events keep
// flowing, and the backend killed with SIGKILL while a big batch is on the wire. Either way every
// event must reach the receiver: de-duplicated by seq none is missing, and the file is a sequence of
// ascending runs (one per connection) that repeat but never skip.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsProcess } from '../../../../scripts/testkit/netns.js';
import { needRsyslog, startRsyslogReceiver } from '../../../../scripts/testkit/rsyslog.js';
import { createTestPki, type TestPki } from '../../../../scripts/testkit/test-pki.js';
import { openDatabase } from '../../../data/database.js';
import { AuditService } from '../service.js';
import { dbAuditSource } from './db-source.js';
import { type ShipAlert, startShipper } from './shipper.js';
import { loadSyslogTransport, type SyslogConfig } from './syslog-transport.js';
import { receivedSeqs, waitFor } from './testing.js';

const peers = needRsyslog();
const REPO = resolve(import.meta.dirname, '../../../..');

function assertCompleteAndOrdered(seqs: readonly number[], n: number): { duplicates: number } {
  assert.deepEqual(
    [...new Set(seqs)].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  let max = 0;
  seqs.forEach((s, i) => {
    const prev = seqs[i - 1];
    assert.ok(s <= max + 1, `seq ${s} arrived before ${max + 1}`);
    assert.ok(prev === undefined || s === prev + 1 || s <= prev, `gap inside a run: ${prev} then ${s}`);
    max = Math.max(max, s);
  });
  return { duplicates: seqs.length - n };
}

/**
 * A TCP relay to the receiver that forwards at most `rate` bytes/s (Infinity: as fast as it can), so a
 * big batch stays on the wire for seconds; cut() drops every connection at once, with whatever the
 * relay still holds, as a dying host's connections go.
 */
async function relay(targetPort: number, rate: number) {
  const sockets = new Set<Socket>();
  const server = createTcpServer({ allowHalfOpen: true }, (client) => {
    const upstream = connectTcp({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (Number.isFinite(rate)) {
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
      }
    });
    client.on('end', () => upstream.end());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      this.cut();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The backend's shipper alone, in a child process, over a file-backed source (NDJSON of records). */
const CHILD = `
import { readFileSync, writeSync } from 'node:fs';
import { startShipper } from '${REPO}/server/services/audit/shipping/shipper.ts';
import { loadSyslogTransport } from '${REPO}/server/services/audit/shipping/syslog-transport.ts';
const cfg = JSON.parse(process.env.VIW_SHIPPER_CHILD);
const say = (line) => writeSync(1, line + '\\n');
const source = {
  async readAfter(seq, limit) {
    const lines = readFileSync(cfg.sourceFile, 'utf8').split('\\n').filter(Boolean);
    return lines.map((l) => JSON.parse(l)).filter((r) => r.seq > seq).slice(0, limit);
  },
};
const inner = loadSyslogTransport(cfg.syslog, { hostname: 'child' });
const transport = {
  path: 'syslog',
  async send(records) {
    say('send ' + records[0].seq + ' ' + records[records.length - 1].seq);
    await inner.send(records);
    say('sent ' + records[records.length - 1].seq);
  },
  close: () => inner.close(),
};
const shipper = startShipper({
  path: 'syslog', transport, source, spoolDir: cfg.spoolDir, maxBytes: 64 * 1024 * 1024, batchMax: cfg.batchMax,
  onAlert: (a) => say('alert ' + a.kind),
  log: { info: (m) => say('info ' + m), warn: (m) => say('warn ' + m), error: (m) => say('error ' + m) },
});
setInterval(() => say('stats ' + JSON.stringify(shipper.stats())), 2000).unref();
process.on('SIGTERM', () => shipper.stop().then(() => process.exit(0)));
`;

describe('shipper fault tests (real rsyslogd)', { skip: peers.skip }, () => {
  let root: string;
  let pki: TestPki;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'viw-shipper-faults-'));
    pki = await createTestPki(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const receiverIn = async (dir: string) => {
    mkdirSync(dir, { recursive: true });
    return startRsyslogReceiver({
      dir,
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      permittedPeers: [pki.clientName],
    });
  };
  const syslogConfig = (port: number): SyslogConfig => ({
    host: '127.0.0.1',
    port,
    serverName: pki.serverName,
    caFile: pki.caFile,
    certFile: pki.client.certFile,
    keyFile: pki.client.keyFile,
  });

  it('receiver stopped for 60 s while 5 events/s flow: every event arrives after its restart', {
    timeout: 240_000,
  }, async (t) => {
    const dir = join(root, 'outage');
    const receiver = await receiverIn(join(dir, 'rsyslog'));
    const database = await openDatabase({ dataDir: dir });
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
    );
    const alerts: ShipAlert[] = [];
    const shipper = startShipper({
      path: 'syslog',
      transport: loadSyslogTransport(syslogConfig(receiver.port)),
      spoolDir: join(dir, 'audit', 'spool', 'syslog'),
      maxBytes: 16 * 1024 * 1024,
      source: dbAuditSource(database.db),
      onAlert: (a) => alerts.push(a),
    });
    const unsubscribe = audit.onRecorded(() => shipper.wake());
    let recorded = 0;
    const flow = setInterval(() => {
      recorded++;
      void audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    }, 200);
    try {
      await sleep(5_000);
      await receiver.stop();
      const down = Date.now();
      await sleep(60_000);
      const mid = shipper.stats();
      t.diagnostic(`after 60 s down: spooled ${mid.spooledSeq}, acked ${mid.ackedSeq}, lag ${mid.lagMs} ms`);
      assert.ok(mid.spooledSeq - mid.ackedSeq >= 250, 'the spool held what the receiver could not take');
      assert.ok(alerts.some((a) => a.kind === 'delivery_failing'));
      await receiver.restart();
      const up = Date.now();
      await sleep(5_000);
      clearInterval(flow);
      await waitFor(
        'all events recorded',
        5_000,
        async () => (await database.db.auditEvent.count()) === recorded,
        { pollMs: 200 },
      );
      await waitFor('every event at the receiver', 60_000, () => shipper.stats().ackedSeq === recorded, {
        pollMs: 200,
      });
      t.diagnostic(
        `${recorded} events; down ${Math.round((up - down) / 1000)} s; caught up ${Date.now() - up} ms after the restart`,
      );
      const { duplicates } = assertCompleteAndOrdered(await receivedSeqs(receiver), recorded);
      t.diagnostic(`duplicates at the receiver: ${duplicates}`);
      // The spool publishes ackedSeq only once ack() settled, after which the shipper raises the
      // alert at once; waiting for it too keeps this test independent of that ordering.
      await waitFor('the delivery_recovered alert', 5_000, () =>
        alerts.some((a) => a.kind === 'delivery_recovered'),
      );
      assert.deepEqual(
        alerts.map((a) => a.kind),
        ['delivery_failing', 'delivery_recovered'],
      );
      assert.equal(shipper.stats().lagMs, 0);
    } finally {
      clearInterval(flow);
      unsubscribe();
      await shipper.stop();
      await receiver.stop();
      await database.close();
    }
  });

  it('SIGKILL mid-shipment, start again: nothing is lost', { timeout: 120_000 }, async (t) => {
    const dir = join(root, 'kill');
    const receiver = await receiverIn(join(dir, 'rsyslog'));
    const slow = await relay(receiver.port, 200 * 1024);
    const sourceFile = join(dir, 'source.ndjson');
    const spoolDir = join(dir, 'spool', 'syslog');
    writeFileSync(join(dir, 'child.mts'), CHILD);
    // The same chain the database would hold, written by the real appender.
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
    );
    const total = 1500;
    for (let i = 0; i < total; i++)
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    const source = dbAuditSource(database.db);
    for (let page = await source.readAfter(0, 1000); page.length > 0; ) {
      for (const r of page) appendFileSync(sourceFile, `${JSON.stringify(r)}\n`);
      page = await source.readAfter((page.at(-1) as { seq: number }).seq, 1000);
    }
    await database.close();
    const child = (port: number) =>
      new NsProcess(
        'shipper',
        spawn(process.execPath, ['--import', 'tsx', join(dir, 'child.mts')], {
          cwd: REPO,
          env: {
            ...process.env,
            VIW_SHIPPER_CHILD: JSON.stringify({
              sourceFile,
              spoolDir,
              batchMax: 500,
              syslog: syslogConfig(port),
            }),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    let proc = child(slow.port);
    try {
      assert.ok(await proc.waitFor(/send 1 500/, 30_000), proc.output);
      await sleep(800);
      proc.child.kill('SIGKILL');
      slow.cut();
      await proc.stop();
      assert.equal(proc.child.signalCode, 'SIGKILL');
      const partial = (await receivedSeqs(receiver)).length;
      t.diagnostic(`the receiver had ${partial} of the first batch's 500 when the shipper died`);
      assert.ok(partial > 0 && partial < 500, `the batch was in flight (${partial} arrived)`);
      assert.doesNotMatch(proc.output, /sent /, 'nothing was confirmed');
      const started = Date.now();
      proc = child(receiver.port);
      await waitFor(
        'every event at the receiver',
        60_000,
        async () => new Set(await receivedSeqs(receiver)).size === total,
        {
          pollMs: 200,
          context: () => `shipper: ${proc.output.slice(-3000)}\nrsyslogd: ${receiver.output().slice(-2000)}`,
        },
      );
      t.diagnostic(
        `restarted shipper delivered the rest in ${Date.now() - started} ms (process start included)`,
      );
      await waitFor(
        'the cursor at the end',
        10_000,
        () => readFileSync(join(spoolDir, 'acked'), 'utf8').includes(`"acked":${total}`),
        { pollMs: 200 },
      );
      const { duplicates } = assertCompleteAndOrdered(await receivedSeqs(receiver), total);
      assert.ok(duplicates >= partial, 'the unconfirmed part was sent again');
      assert.doesNotMatch(proc.output, /alert /);
    } finally {
      await proc.stop();
      await slow.close();
      await receiver.stop();
    }
  });
});
