// A REAL viworksd started under strace (a tracer at start) for an ENROLLED device, against the real
// backend: it refuses to start (exit 70, the generic error, no socket) and, before that, the
// backend's audit gets client.debugger_attached for the device, without a session, within the 3 s
// budget. The device is enrolled by an in-process daemon on the same state directory (file key
// store), which is closed before the real one starts. Root and strace, as hardening-process.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../core/audit/event.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import { ViworksdProcesses } from '../testing/viworksd-process.js';
import { TRACER_REPORT_BUDGET_MS } from './tracer-at-start.js';

const STRACE = '/usr/bin/strace';
const BIN = join(import.meta.dirname, '..', 'bin', 'viworksd.ts');
const ROOT = join(import.meta.dirname, '..', '..');
const peers = needPeers({ root: true, binaries: [STRACE], apt: 'strace' });
const skip = process.platform === 'linux' ? peers.skip : 'Linux only';
const PASSWORD = 'stella correct horse battery 3';

/** The daemon's JSON log lines on stderr: when each message was written. */
function logTimes(stderr: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const text of stderr.split('\n')) {
    if (!text.startsWith('{')) continue;
    const line = JSON.parse(text) as { at: string; msg: string };
    times.set(line.msg, Date.parse(line.at));
  }
  return times;
}

describe('viworksd with a tracer at start, enrolled (real process, real backend)', { skip }, () => {
  let b: BackendSession;
  const daemons = new ViworksdProcesses();

  before(async () => {
    b = await startBackendSession('stella', PASSWORD);
    await b.enrollWithToken(PASSWORD);
    // Only the real process uses the state directory from here (the fixture removes it at stop).
    await b.d.daemon.close();
  });
  after(async () => {
    daemons.stopAll();
    await b?.stop();
  });

  it('reports client.debugger_attached to the backend, then exits 70 with a generic error', async (t) => {
    const record = b.d.daemon.engine.currentRecord();
    assert.ok(record);
    const socket = join(daemons.dir, 'viworksd.sock');
    const child = spawn(
      STRACE,
      [
        '-f',
        '-o',
        '/dev/null',
        '--',
        process.execPath,
        '--import',
        'tsx',
        BIN,
        '--socket',
        socket,
        '--state-dir',
        b.d.stateDir,
        '--keystore',
        'file',
        '--allow-unprivileged',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    daemons.track(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const exitedAt = Date.now();

    assert.equal(code, 70, stderr);
    assert.match(stderr, /^viworksd: cannot start: internal error$/m);
    assert.doesNotMatch(stderr, /strace|TracerPid|ptrace/i, 'nothing that helps whoever attached');
    assert.equal(existsSync(socket), false, 'the local API never started');
    const times = logTimes(stderr);
    const detected = times.get('hardening.tracer_detected failed at=start');
    const reported = times.get('tracer.reported ok at=start');
    assert.ok(detected && reported, stderr);
    t.diagnostic(
      `tracer seen → reported in ${reported - detected} ms, exited ${exitedAt - detected} ms after`,
    );
    assert.ok(
      reported - detected <= TRACER_REPORT_BUDGET_MS,
      `reported ${reported - detected} ms after the detection`,
    );
    assert.ok(exitedAt - detected < TRACER_REPORT_BUDGET_MS + 5000, 'exited soon after');

    const events = (await ctxOf(b.ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((e) => JSON.parse(e.event) as AuditEvent)
      .filter((e) => e.action === 'client.debugger_attached');
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.device_id, record.device_id);
    assert.equal(e.session_id, null);
    assert.equal(e.severity, 'error');
    assert.equal(e.error_msg, 'tracer_attached: tracer strace at start');
  });
});
