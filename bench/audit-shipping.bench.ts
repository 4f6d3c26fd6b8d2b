// Audit shipping (issue #15): throughput and lag of each shipping path, beside the raw append rate of
// the audit trail measured in the same run.
//   append    AuditService.record back to back into a fresh SQLite database (+ the NDJSON file, as
//             the server runs it): the rate the trail itself can take. Measured first and last;
//             the spread between the two is this machine's noise.
//   syslog    the shipper (database → spool → RFC 5425 over mutual TLS 1.3) into a real rsyslogd;
//   https     the same into the Elasticsearch _bulk test receiver (TLS 1.3, signed bodies).
// Each path runs three times, each on a fresh database: events recorded at a steady rate (about half
// of what the trail takes here); back to back (what shipping costs the appender, and whether it
// keeps up); and a backlog of N recorded before the shipper starts (its rate with nothing else to do).
// "Back to back" yields to the event loop after every record (setImmediate), as events that come
// from separate requests do: with SQLite, a loop of awaited record() calls runs on microtasks alone
// and starves every timer and socket, the shipper's included, until it ends.
// Per event, two lags from the moment the event was durable (the onRecorded callback, which is also
// what wakes the shipper):
//   seen   until it is first observed at the receiver: rsyslog's messages file (read incrementally)
//          or the HTTPS receiver's store, polled every POLL_MS, so it overstates by up to POLL_MS.
//   acked  until the transport's send() resolved for its batch (exact: the transport is wrapped,
//          rather than polling the shipper's stats). That is when the spool's cursor moves, the
//          "provably delivered" moment; for syslog it includes the transport's refusal window
//          (250 ms per connection, one connection per batch) and rsyslog's close.
// "shipped/s" is N over the time from the first record() call (or the shipper's start, for the
// backlog) to the last first arrival at the receiver.
// Figures are printed, never asserted. The syslog path needs rsyslog + rsyslog-gnutls (Debian).
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { fromSiemDocument } from '../core/siem/format.js';
import { needRsyslog, startRsyslogReceiver } from '../scripts/testkit/rsyslog.js';
import {
  mintReceiverCertificate,
  type SiemHttpsReceiver,
  startSiemHttpsReceiver,
} from '../scripts/testkit/siem-https-receiver.js';
import { createTestPki } from '../scripts/testkit/test-pki.js';
import { openDatabase } from '../server/data/database.js';
import { AuditService } from '../server/services/audit/service.js';
import { dbAuditSource } from '../server/services/audit/shipping/db-source.js';
import { createHttpsTransport } from '../server/services/audit/shipping/https-transport.js';
import { VIWORKS_SD_ID } from '../server/services/audit/shipping/rfc5424.js';
import { type ShipAlert, type Shipper, startShipper } from '../server/services/audit/shipping/shipper.js';
import { loadOrCreateShippingKey } from '../server/services/audit/shipping/shipping-key.js';
import { loadSyslogTransport } from '../server/services/audit/shipping/syslog-transport.js';
import type { ShipPath, ShipTransport } from '../server/services/audit/shipping/transport.js';

const N = 3000;
/** Before the first append-only run; the JIT and Prisma are warm for the rest. */
const WARMUP_MS = 2000;
const RATE = 500;
/**
 * steady: RATE/s, open loop. burst: back to back (recordOne), the shipper running.
 * drain: N recorded first, then the shipper started: what it ships with nothing else to do.
 */
type Load = 'steady' | 'burst' | 'drain';
const LOADS: readonly Load[] = ['steady', 'burst', 'drain'];
const LOAD_LABEL: Record<Load, string> = {
  steady: `${RATE}/s steady`,
  burst: 'back to back',
  drain: 'drain backlog',
};
const POLL_MS = 20;
const DRAIN_TIMEOUT_MS = 20_000;
const SPOOL_MAX_BYTES = 16 * 1024 * 1024;
const TOKEN = 'YmVuY2g6YXVkaXQtc2hpcHBpbmctYmVuY2g=';
const INDEX = 'viworks-audit';
const CONTEXT = { env: 'bench', site: 'lab', tenant_id: 't1' };
const FACTS = { component: 'backend', action: 'auth.login', result: 'success' } as const;

type Cleanup = Array<() => Promise<void> | void>;

/** One shipping path, ready for a scenario: a fresh transport and an observer of the receiver. */
interface Target {
  readonly path: ShipPath;
  open(): Promise<{
    transport: ShipTransport;
    /** Seqs that reached the receiver since the last call (duplicates included). */
    observe: () => number[];
    close: () => Promise<void>;
  }>;
}

interface Row {
  readonly path: string;
  readonly load: string;
  readonly events: number;
  readonly recordPerSec: number | null;
  readonly shippedPerSec: number | null;
  readonly seen: Percentiles | null;
  readonly acked: Percentiles | null;
  readonly batches: number | null;
  /** Records sent more than once, or delivered more than once (a failed send counts its batch). */
  readonly resent: number | null;
  /** Mean time inside transport.send() per batch, ms: the rest of the lag is spool, database, loop. */
  readonly sendMs: number | null;
  /** Event loop utilization over the timed part: appender, shipper and poller share one loop. */
  readonly loop: number;
}

interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'viw-bench-ship-'));
  const cleanup: Cleanup = [() => rmSync(root, { recursive: true, force: true })];
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    console.log(
      `  N = ${N} events per run; steady load ${RATE}/s; receivers polled every ${POLL_MS} ms; lags in ms from durable; loop = event loop busy`,
    );
    rows.push(await appendBaseline(join(root, 'append-first'), 'append (first)', WARMUP_MS));

    const syslog = await syslogTarget(join(root, 'syslog'), cleanup).catch((err: unknown) => {
      notes.push(`syslog path not measured: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (syslog) {
      for (const load of LOADS) rows.push(await shipRun(syslog, join(root, `syslog-${load}`), load, notes));
    }

    const https = await httpsTarget(join(root, 'https'), cleanup);
    for (const load of LOADS) rows.push(await shipRun(https, join(root, `https-${load}`), load, notes));
    // Again at the end: the spread between the two is this machine's noise.
    rows.push(await appendBaseline(join(root, 'append-last'), 'append (last)', 300));
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch (err) {
        console.error(`  cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  printTable(rows);
  for (const n of notes) console.log(`  ${n}`);
}

// --- the trail alone ---

/** One event, then a turn of the event loop (see the header: without it timers and sockets starve). */
async function recordOne(audit: AuditService): Promise<void> {
  await audit.record(FACTS);
  await yieldToLoop();
}

async function appendBaseline(dir: string, label: string, warmupMs: number): Promise<Row> {
  const db = await openDatabase({ dataDir: dir });
  try {
    const audit = new AuditService(db.db, CONTEXT, randomBytes(32), { dataDir: dir });
    // Time-based: the first few hundred appends run at half speed (JIT, Prisma's first queries).
    const warm = performance.now() + warmupMs;
    while (performance.now() < warm) await recordOne(audit);
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    for (let i = 0; i < N; i++) await recordOne(audit);
    const seconds = (performance.now() - started) / 1000;
    const loop = performance.eventLoopUtilization(elu).utilization;
    return {
      path: label,
      load: 'back to back',
      events: N,
      recordPerSec: N / seconds,
      shippedPerSec: null,
      seen: null,
      acked: null,
      batches: null,
      resent: null,
      sendMs: null,
      loop,
    };
  } finally {
    await db.close();
  }
}

// --- one shipping run ---

async function shipRun(target: Target, dir: string, load: Load, notes: string[]): Promise<Row> {
  const label = `${target.path} ${LOAD_LABEL[load]}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const recordedAt = new Float64Array(N + 1);
  const seenAt = new Float64Array(N + 1);
  const ackedAt = new Float64Array(N + 1);
  let seenCount = 0;
  let ackedCount = 0;
  let arrivals = 0;
  let sends = 0;
  let sentRecords = 0;
  let sendTime = 0;
  const warnings: string[] = [];
  const alerts: ShipAlert[] = [];
  const stack: Cleanup = [];
  let shipper: Shipper | null = null;
  try {
    const db = await openDatabase({ dataDir: dir });
    stack.push(() => db.close());
    const receiver = await target.open();
    stack.push(receiver.close);
    const audit = new AuditService(db.db, CONTEXT, randomBytes(32), { dataDir: dir });
    const unsubscribe = audit.onRecorded((r) => {
      if (r.seq <= N) recordedAt[r.seq] = performance.now();
      shipper?.wake();
    });
    stack.push(unsubscribe);
    const poll = () => {
      const t = performance.now();
      for (const seq of receiver.observe()) {
        arrivals++;
        if (seq >= 1 && seq <= N && seenAt[seq] === 0) {
          seenAt[seq] = t;
          seenCount++;
        }
      }
    };
    const poller = setInterval(poll, POLL_MS);
    stack.push(() => clearInterval(poller));

    // The transport, timed: a batch is acknowledged when send() resolves.
    const timed: ShipTransport = {
      path: receiver.transport.path,
      async send(records) {
        sends++;
        sentRecords += records.length;
        const sendStarted = performance.now();
        try {
          await receiver.transport.send(records);
        } finally {
          sendTime += performance.now() - sendStarted;
        }
        const t = performance.now();
        for (const r of records) {
          if (r.seq >= 1 && r.seq <= N && ackedAt[r.seq] === 0) {
            ackedAt[r.seq] = t;
            ackedCount++;
          }
        }
      },
      close: () => receiver.transport.close(),
    };
    const startShipping = () => {
      const s = startShipper({
        path: target.path,
        transport: timed,
        spoolDir: join(dir, 'audit', 'spool', target.path),
        maxBytes: SPOOL_MAX_BYTES,
        source: dbAuditSource(db.db),
        onAlert: (a) => alerts.push(a),
        log: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      });
      shipper = s;
      stack.push(() => s.stop());
    };

    if (load === 'drain') for (let i = 0; i < N; i++) await recordOne(audit);
    else startShipping();
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    if (load === 'drain') startShipping();
    else if (load === 'burst') for (let i = 0; i < N; i++) await recordOne(audit);
    else {
      // Open loop: event i is due at started + i/RATE, whatever the appender or shipper is doing.
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < N; i++) {
        const wait = started + (i * 1000) / RATE - performance.now();
        if (wait >= 1) await sleep(wait);
        pending.push(audit.record(FACTS));
      }
      await Promise.all(pending);
    }
    const recordSeconds = (maxOf(recordedAt) - started) / 1000;
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while ((seenCount < N || ackedCount < N) && performance.now() < deadline) await sleep(POLL_MS);
    poll();
    const loop = performance.eventLoopUtilization(elu).utilization;
    if (seenCount < N || ackedCount < N)
      notes.push(
        `${label}: after ${DRAIN_TIMEOUT_MS / 1000} s only ${seenCount} seen, ${ackedCount} acked of ${N}`,
      );
    if (warnings.length > 0)
      notes.push(`${label}: ${warnings.length} shipper warnings, first: ${warnings[0]}`);
    if (alerts.length > 0)
      notes.push(`${label}: alerts ${alerts.map((a) => `${a.kind} (${a.reason})`).join(', ')}`);
    // Lags from durable mean nothing for a backlog recorded before the shipper started.
    const timedLoad = load !== 'drain';
    return {
      path: target.path,
      load: LOAD_LABEL[load],
      events: N,
      recordPerSec: timedLoad ? N / recordSeconds : null,
      shippedPerSec: seenCount === N ? N / ((maxOf(seenAt) - started) / 1000) : null,
      seen: timedLoad ? lags(recordedAt, seenAt) : null,
      acked: timedLoad ? lags(recordedAt, ackedAt) : null,
      batches: sends,
      resent: Math.max(sentRecords - N, arrivals - N, 0),
      sendMs: sends > 0 ? sendTime / sends : null,
      loop,
    };
  } finally {
    for (const c of stack.reverse()) await c();
  }
}

function maxOf(values: Float64Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function lags(from: Float64Array, to: Float64Array): Percentiles | null {
  const ms: number[] = [];
  for (let seq = 1; seq < from.length; seq++) {
    const a = from[seq]!;
    const b = to[seq]!;
    if (a > 0 && b > 0) ms.push(b - a);
  }
  if (ms.length === 0) return null;
  ms.sort((x, y) => x - y);
  // Nearest rank: every figure is a lag that was observed.
  const rank = (p: number) => ms[Math.max(0, Math.ceil((p / 100) * ms.length) - 1)]!;
  return { p50: rank(50), p95: rank(95), max: ms.at(-1)! };
}

// --- the receivers ---

async function syslogTarget(dir: string, cleanup: Cleanup): Promise<Target> {
  let skip: string | undefined;
  try {
    skip = needRsyslog().skip;
  } catch (err) {
    skip = err instanceof Error ? err.message : String(err);
  }
  if (skip) throw new Error(skip);
  mkdirSync(join(dir, 'rsyslog'), { recursive: true, mode: 0o700 });
  const pki = await createTestPki(dir);
  const receiver = await startRsyslogReceiver({
    dir: join(dir, 'rsyslog'),
    caFile: pki.caFile,
    certFile: pki.server.certFile,
    keyFile: pki.server.keyFile,
    permittedPeers: [pki.clientName],
  });
  cleanup.push(() => receiver.stop());
  // Our SD element carries the full seq (meta sequenceId wraps at 2^31 - 1; the same below that).
  const seqOf = new RegExp(`\\[${VIWORKS_SD_ID} seq="(\\d+)"`);
  return {
    path: 'syslog',
    async open() {
      // One receiver for every run: each reads the messages file from where it stands now.
      let offset = fileSize(receiver.messagesFile);
      let partial = '';
      const observe = () => {
        const chunk = readFrom(receiver.messagesFile, offset);
        if (chunk.length === 0) return [];
        offset += chunk.length;
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        return lines.map((l) => Number(seqOf.exec(l)?.[1] ?? 0));
      };
      const transport = loadSyslogTransport(
        {
          host: '127.0.0.1',
          port: receiver.port,
          serverName: pki.serverName,
          caFile: pki.caFile,
          certFile: pki.client.certFile,
          keyFile: pki.client.keyFile,
        },
        { hostname: 'bench' },
      );
      return { transport, observe, close: async () => {} };
    },
  };
}

function fileSize(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

async function httpsTarget(dir: string, cleanup: Cleanup): Promise<Target> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tls = await mintReceiverCertificate();
  const key = loadOrCreateShippingKey(dir);
  const open: SiemHttpsReceiver[] = [];
  cleanup.push(async () => {
    for (const rx of open) await rx.close();
  });
  return {
    path: 'https',
    async open() {
      // A receiver per run: _id is <tenant>-<seq>, and every run starts again at seq 1.
      const rx = await startSiemHttpsReceiver({
        kind: 'elasticsearch',
        certPem: tls.certPem,
        keyPem: tls.keyPem,
        publicKeys: [key.publicKey],
        token: TOKEN,
        indexes: [INDEX],
      });
      open.push(rx);
      let taken = 0;
      let before = 0;
      const observe = () => {
        // stored() keeps first arrivals in order; `received` also counts the duplicates.
        const docs = rx.stored();
        const fresh = docs.slice(taken).map((d) => fromSiemDocument('native', d).seq);
        taken = docs.length;
        const dupes = rx.received - before - fresh.length;
        before = rx.received;
        return dupes > 0 ? [...fresh, ...Array<number>(dupes).fill(0)] : fresh;
      };
      const transport = createHttpsTransport({
        kind: 'elasticsearch',
        url: rx.url,
        caPem: tls.caPem,
        index: INDEX,
        token: Buffer.from(TOKEN),
        format: 'native',
        signingKey: key,
      });
      return {
        transport,
        observe,
        close: async () => {
          await rx.close();
          open.splice(open.indexOf(rx), 1);
        },
      };
    },
  };
}

// --- output ---

function printTable(rows: readonly Row[]): void {
  const int = (v: number | null, w: number) =>
    (v === null ? '-' : Math.round(v).toLocaleString('en-US')).padStart(w);
  const lag = (p: Percentiles | null, w: number) =>
    p === null ? `${'-'.padStart(w)} ${'-'.padStart(7)}` : `${int(p.p50, w)} ${int(p.p95, 7)}`;
  console.log(
    `  ${'path'.padEnd(14)} ${'load'.padEnd(13)} ${'record/s'.padStart(8)} ${'shipped/s'.padStart(9)}` +
      `  ${'seen p50'.padStart(8)} ${'p95 ms'.padStart(7)}  ${'ack p50'.padStart(7)} ${'p95 ms'.padStart(7)}` +
      ` ${'batches'.padStart(7)} ${'send ms'.padStart(7)} ${'resent'.padStart(6)} ${'loop'.padStart(5)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.path.padEnd(14)} ${r.load.padEnd(13)} ${int(r.recordPerSec, 8)} ${int(r.shippedPerSec, 9)}` +
        `  ${lag(r.seen, 8)}  ${lag(r.acked, 7)} ${int(r.batches, 7)} ${int(r.sendMs, 7)} ${int(r.resent, 6)}` +
        ` ${`${Math.round(r.loop * 100)} %`.padStart(5)}`,
    );
  }
  // Ratios against the mean of the two append-only runs.
  const baseRates = rows.filter((r) => r.path.startsWith('append')).map((r) => r.recordPerSec ?? 0);
  if (baseRates.length === 0) return;
  const base = baseRates.reduce((a, b) => a + b, 0) / baseRates.length;
  const pct = (v: number) => `${((v / base) * 100).toFixed(0)} %`;
  for (const path of ['syslog', 'https']) {
    const burst = rows.find((r) => r.path === path && r.load === LOAD_LABEL.burst);
    const drain = rows.find((r) => r.path === path && r.load === LOAD_LABEL.drain);
    if (!burst || !drain) continue;
    const parts = [
      burst.recordPerSec !== null ? `appends beside it run at ${pct(burst.recordPerSec)}` : null,
      drain.shippedPerSec !== null ? `alone it ships at ${pct(drain.shippedPerSec)}` : null,
    ].filter((p) => p !== null);
    if (parts.length > 0) console.log(`  ${path} vs the trail's append rate: ${parts.join('; ')}`);
  }
}
