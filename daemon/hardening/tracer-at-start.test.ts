// The report viworksd sends before it refuses to start with a tracer attached (tracer-at-start.ts),
// in-process against the REAL backend: an enrolled device's report arrives as a signed
// client.debugger_attached audit event without a session; an unenrolled daemon asks nothing of
// anyone; a key store or a backend that does not answer cannot hold the exit beyond the budget.
// The real process under strace: tracer-start-report.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../core/audit/event.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { type DeviceRecord, saveDeviceRecord } from '../engine/device-record.js';
import type { KeyStore } from '../keystore/keystore.js';
import { DaemonLog } from '../log/daemon-log.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import { reportTracerAtStart } from './tracer-at-start.js';

const PASSWORD = 'tracy correct horse battery 19';
let b: BackendSession;
let record: DeviceRecord;
const dirs: string[] = [];
let logged = '';
const log = new DaemonLog({
  minLevel: 'debug',
  sink: (line) => {
    logged += `${line.msg}\n`;
  },
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'viw-tracer-start-'));
  dirs.push(d);
  return d;
};

const debuggerEvents = async (): Promise<AuditEvent[]> =>
  (await ctxOf(b.ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
    .map((e) => JSON.parse(e.event) as AuditEvent)
    .filter((e) => e.action === 'client.debugger_attached');

before(async () => {
  b = await startBackendSession('tracy', PASSWORD);
  await b.enrollWithToken(PASSWORD);
  const r = b.d.daemon.engine.currentRecord();
  assert.ok(r);
  record = r;
});
after(async () => {
  await b?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the tracer report at start', () => {
  it('an enrolled device: client.debugger_attached arrives, signed by the device, without a session', async () => {
    const before = (await debuggerEvents()).length;
    let asked: string | null = null;
    const outcome = await reportTracerAtStart({
      stateDir: b.d.stateDir,
      keyStore: async (r) => {
        asked = r.key_store;
        return b.d.keyStore;
      },
      tracer: 'tracer gdb',
      log,
    });
    assert.equal(outcome, 'sent');
    assert.equal(asked, 'file-aes-gcm', "the store named by the device's record");
    const events = await debuggerEvents();
    assert.equal(events.length, before + 1);
    const e = events.at(-1)!;
    assert.equal(e.device_id, record.device_id);
    assert.equal(e.session_id, null);
    assert.equal(e.severity, 'error');
    assert.equal(e.result, 'failure');
    assert.equal(e.error_msg, 'tracer_attached: tracer gdb at start');
    assert.match(logged, /tracer\.reported ok at=start/);
    assert.doesNotMatch(logged, /gdb/, 'the tracer is named to the backend only');
  });

  it('not enrolled: nothing is asked of a key store or a backend', async () => {
    const outcome = await reportTracerAtStart({
      stateDir: tempDir(),
      keyStore: async () => assert.fail('no key store without a device'),
      tracer: 'tracer',
      log,
    });
    assert.equal(outcome, 'not_enrolled');
  });

  it('a key store that never answers (a hung TPM): given up at the budget', async () => {
    const started = performance.now();
    const outcome = await reportTracerAtStart({
      stateDir: b.d.stateDir,
      keyStore: () => new Promise<KeyStore>(() => {}),
      tracer: 'tracer',
      log,
      budgetMs: 300,
    });
    const took = performance.now() - started;
    assert.equal(outcome, 'timeout');
    assert.ok(took >= 290 && took < 800, `gave up after ${took.toFixed(0)} ms`);
  });

  describe('a backend that accepts the connection and never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    before(async () => {
      silent = createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });

    it('does not hold the exit beyond the budget', async () => {
      const stateDir = tempDir();
      const port = (silent.address() as { port: number }).port;
      await saveDeviceRecord(stateDir, { ...record, backend_url: `https://127.0.0.1:${port}` });
      const started = performance.now();
      const outcome = await reportTracerAtStart({
        stateDir,
        keyStore: async () => b.d.keyStore,
        tracer: 'tracer',
        log,
        budgetMs: 400,
      });
      const took = performance.now() - started;
      assert.notEqual(outcome, 'sent');
      assert.ok(sockets.size >= 1, 'it did try the backend');
      assert.ok(took < 900, `returned after ${took.toFixed(0)} ms`);
      assert.match(logged, /tracer: not reported to the backend/);
    });
  });
});
