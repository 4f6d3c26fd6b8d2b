// TracerWatch against a scripted TracerPid: nothing while 0, the first tracer reported once and the
// watch stopped, an unreadable status said once; its timer never keeps the process alive. And the
// tracer's name for the backend's audit, made safe.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracerWatch, tracerDetail } from './tracer-watch.js';

describe('TracerWatch', () => {
  it('reports the first tracer once, then stops looking', () => {
    let pid: number | null = 0;
    const seen: number[] = [];
    const w = new TracerWatch({ intervalMs: 1000, tracerPid: () => pid, onTracer: (p) => seen.push(p) });
    assert.equal(w.check(), false);
    pid = 77;
    assert.equal(w.check(), true);
    pid = 78;
    assert.equal(w.check(), true);
    assert.deepEqual(seen, [77]);
  });

  it('an unreadable status is said once and is no tracer', () => {
    let unreadable = 0;
    const w = new TracerWatch({
      intervalMs: 1000,
      tracerPid: () => null,
      onTracer: () => assert.fail('no tracer'),
      onUnreadable: () => unreadable++,
    });
    assert.equal(w.check(), false);
    assert.equal(w.check(), false);
    assert.equal(unreadable, 1);
  });

  it('checks on its interval, with an unref’d timer', async () => {
    let pid = 0;
    let reads = 0;
    const fired = new Promise<number>((resolve) => {
      const w = new TracerWatch({
        intervalMs: 10,
        tracerPid: () => {
          reads++;
          return pid;
        },
        onTracer: resolve,
      });
      w.start();
      w.start(); // idempotent: one timer
      setTimeout(() => {
        pid = 99;
      }, 45);
    });
    // The watch alone would not keep the process alive; this keeps it until the check fires.
    const keep = setTimeout(() => assert.fail('the watch never fired'), 2000);
    assert.equal(await fired, 99);
    clearTimeout(keep);
    assert.ok(reads >= 3 && reads < 20, `read ${reads} times`);
  });
});

describe('tracerDetail', () => {
  it('names the tracer from /proc/<pid>/comm, printable and short, or just `tracer`', () => {
    const comm = (text: string) => (path: string) => {
      assert.equal(path, '/proc/42/comm');
      return text;
    };
    assert.equal(tracerDetail(42, comm('gdb\n')), 'tracer gdb');
    assert.equal(tracerDetail(42, comm('evil\u001b[31m\nname')), 'tracer evil?[31m?name');
    assert.equal(tracerDetail(42, comm('x'.repeat(64))).length, 'tracer '.length + 32);
    assert.equal(tracerDetail(42, comm('\n')), 'tracer');
    assert.equal(
      tracerDetail(42, () => {
        throw new Error('ENOENT');
      }),
      'tracer',
    );
  });
});
