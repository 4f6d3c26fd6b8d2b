// pull_logs with a data-plane cursor: starting at the end, paging forward, lines still being
// written, rotation (with and without the rotated file), truncation, overlong and non-UTF-8 lines,
// the grammar per source, the tail without a cursor as before, the fwknopd stanza names, and the
// front door's hello log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import {
  type DataplanePullResult,
  dataplanePullResult,
  NO_FILE_CURSOR,
  parseCursor,
} from '../../core/gateway/dataplane/cursor.js';
import { parseRequestLine } from '../dispatch/grammar.js';
import { frontDoorHelloLog } from '../front-door/paths.js';
import { renderAccessConf } from '../render/access-conf.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { fwknopdLog } from '../services/service-paths.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { MAX_FORWARD_LINE_BYTES } from './log-cursor.js';
import { pullLogs } from './pull-logs.js';

let fx: NodeConfigFixture;
before(() => {
  fx = createNodeConfig();
});
after(() => rmSync(fx.root, { recursive: true, force: true }));

const stunnelLog = () => fx.config.facts.paths.stunnelLog;

async function pull(source: string, max: number, after?: string): Promise<DataplanePullResult> {
  const args = after === undefined ? [source, String(max)] : [source, String(max), after];
  const parsed = parseRequestLine(`pull_logs ${args.join(' ')}`);
  assert.ok(parsed.ok, `grammar refused ${args.join(' ')}`);
  const out = await pullLogs({
    config: fx.config,
    args: parsed.args,
    input: undefined,
    now: () => new Date(),
  });
  return dataplanePullResult.parse(out.result);
}

describe('pull_logs with a cursor', () => {
  beforeEach(() => {
    for (const f of [stunnelLog(), `${stunnelLog()}.1`]) rmSync(f, { force: true });
    mkdirSync(dirname(stunnelLog()), { recursive: true });
  });

  test('a file that does not exist yet: nothing, then its first lines once it appears', async () => {
    const start = await pull('stunnel', 10, 'end');
    assert.deepEqual([start.lines, start.next_cursor, start.eof], [[], NO_FILE_CURSOR, true]);
    const still = await pull('stunnel', 10, start.next_cursor);
    assert.deepEqual([still.lines, still.next_cursor, still.restarted], [[], NO_FILE_CURSOR, false]);
    writeFileSync(stunnelLog(), 'one\ntwo\n');
    const first = await pull('stunnel', 10, still.next_cursor);
    assert.deepEqual([first.lines, first.restarted, first.eof], [['one', 'two'], false, true]);
  });

  test('end skips what is there; a line still being written waits until it is complete', async () => {
    writeFileSync(stunnelLog(), 'old 1\nold 2\npart');
    const start = await pull('stunnel', 10, 'end');
    assert.deepEqual(start.lines, []);
    // The cursor stops before the incomplete line, so it is read whole later.
    assert.equal(parseCursor(start.next_cursor)?.offset, 'old 1\nold 2\n'.length);
    const waiting = await pull('stunnel', 10, start.next_cursor);
    assert.deepEqual([waiting.lines, waiting.next_cursor, waiting.eof], [[], start.next_cursor, true]);
    appendFileSync(stunnelLog(), 'ial\nnew\nhalf');
    const more = await pull('stunnel', 10, waiting.next_cursor);
    assert.deepEqual([more.lines, more.eof], [['partial', 'new'], true]);
  });

  test('pages forward by max_lines; eof only once the rest holds no complete line', async () => {
    writeFileSync(stunnelLog(), 'head\n');
    let cursor = (await pull('stunnel', 1, 'end')).next_cursor;
    appendFileSync(stunnelLog(), Array.from({ length: 5 }, (_, i) => `l${i}\n`).join(''));
    const seen: string[] = [];
    const eofs: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const page = await pull('stunnel', 2, cursor);
      seen.push(...page.lines);
      eofs.push(page.eof);
      cursor = page.next_cursor;
    }
    assert.deepEqual(seen, ['l0', 'l1', 'l2', 'l3', 'l4']);
    assert.deepEqual(eofs, [false, false, true, true]);
  });

  test('rotation: the rest of the rotated file first, then the new one from its start', async () => {
    writeFileSync(stunnelLog(), 'a1\n');
    const cursor = (await pull('stunnel', 10, 'end')).next_cursor;
    appendFileSync(stunnelLog(), 'a2\na3\n');
    renameSync(stunnelLog(), `${stunnelLog()}.1`);
    writeFileSync(stunnelLog(), 'b1\nb2\n');
    const rest = await pull('stunnel', 10, cursor);
    assert.deepEqual([rest.lines, rest.restarted], [['a2', 'a3'], false]);
    const fresh = await pull('stunnel', 10, rest.next_cursor);
    assert.deepEqual([fresh.lines, fresh.restarted], [['b1', 'b2'], false]);
    assert.notEqual(parseCursor(fresh.next_cursor)?.inode, parseCursor(cursor)?.inode);
  });

  test('rotation with the old file gone: the new file from its start, flagged restarted', async () => {
    writeFileSync(stunnelLog(), 'a1\na2\n');
    const cursor = (await pull('stunnel', 10, 'end')).next_cursor;
    rmSync(stunnelLog());
    writeFileSync(stunnelLog(), 'b1\n');
    const page = await pull('stunnel', 10, cursor);
    assert.deepEqual([page.lines, page.restarted], [['b1'], true]);
  });

  test('truncation: shorter than the cursor, or rewritten with another first line', async () => {
    writeFileSync(stunnelLog(), '2026.12.04 00:00:00 first\nx\ny\n');
    const cursor = (await pull('stunnel', 10, 'end')).next_cursor;
    truncateSync(stunnelLog(), 0);
    appendFileSync(stunnelLog(), 'z\n');
    const shorter = await pull('stunnel', 10, cursor);
    assert.deepEqual([shorter.lines, shorter.restarted], [['z'], true]);
    // Same inode, longer than the old offset again, but its first line is not the one counted in.
    writeFileSync(stunnelLog(), '2026.12.04 09:00:00 other\nlonger line one\nlonger line two\n');
    const rewritten = await pull('stunnel', 10, cursor);
    assert.equal(rewritten.restarted, true);
    assert.deepEqual(rewritten.lines, ['2026.12.04 09:00:00 other', 'longer line one', 'longer line two']);
  });

  test('an overlong line is cut, invalid UTF-8 is replaced, and the reply stays bounded', async () => {
    writeFileSync(stunnelLog(), '');
    const cursor = (await pull('stunnel', 10, 'end')).next_cursor;
    const long = 'x'.repeat(MAX_FORWARD_LINE_BYTES * 3);
    appendFileSync(
      stunnelLog(),
      Buffer.concat([Buffer.from(`${long}\nbad `), Buffer.from([0xff, 0xfe, 0x0a])]),
    );
    const page = await pull('stunnel', 10, cursor);
    assert.equal(page.lines[0]?.length, MAX_FORWARD_LINE_BYTES);
    assert.equal(page.lines[1], 'bad \ufffd\ufffd');
    assert.equal(page.lines.length, 2);
    assert.equal(page.eof, true);
    // 5000 lines of control characters (6 JSON bytes each) still fit one reply.
    appendFileSync(stunnelLog(), `${'\u0001'.repeat(200)}\n`.repeat(5000));
    const many = await pull('stunnel', 5000, page.next_cursor);
    assert.ok(JSON.stringify(many).length <= 1.1 * 1024 * 1024, 'reply too large');
    assert.ok(many.lines.length > 0 && many.lines.length < 5000);
    assert.equal(many.eof, false);
  });

  test('the grammar per source; without a cursor a daemon log is a tail as before', async () => {
    writeFileSync(stunnelLog(), 'one\ntwo\nthree\n');
    const call = (line: string) => {
      const parsed = parseRequestLine(line);
      if (!parsed.ok) return Promise.resolve(parsed.code);
      return pullLogs({ config: fx.config, args: parsed.args, input: undefined, now: () => new Date() }).then(
        (o) => o.result,
        (e: unknown) => (isViworksError(e) ? e.code : e),
      );
    };
    assert.deepEqual(await call('pull_logs stunnel 2'), { lines: ['two', 'three'], next_seq: null });
    assert.equal(await call('pull_logs stunnel 2 5'), 'VIW_E_VALIDATION'); // a sequence is for audit
    assert.equal(await call('pull_logs audit 2 end'), 'VIW_E_VALIDATION');
    assert.equal(await call(`pull_logs audit 2 ${NO_FILE_CURSOR}`), 'VIW_E_VALIDATION');
    for (const bad of [
      '1:2:3',
      '1:00000000000000zz:0',
      `1:${'0'.repeat(16)}:-1`,
      'END',
      `1:${'0'.repeat(17)}:0`,
    ]) {
      assert.equal(await call(`pull_logs stunnel 2 ${bad}`), 'VIW_E_VALIDATION', bad);
    }
    assert.equal(
      (await call(`pull_logs stunnel 2 ${'9'.repeat(20)}:${'0'.repeat(16)}:${'9'.repeat(15)}`)) instanceof
        Object,
      true,
    );
  });
});

describe('fwknopd pages name their stanzas from access.conf', () => {
  const netns = readFileSync(
    new URL('../../core/gateway/dataplane/fixtures/fwknopd-netns.log', import.meta.url),
    'utf8',
  );
  const lines = netns.split('\n').slice(0, -1);
  const reload = lines.findIndex((l) => l.startsWith('Got SIGHUP'));
  const dev = (c: string) => ({
    deviceId: `d-${c}${randomBytes(16).toString('hex').slice(1)}`,
    keyBase64: randomBytes(32).toString('base64'),
    hmacKeyBase64: randomBytes(64).toString('base64'),
  });
  const [A, C, B] = [dev('0'), dev('8'), dev('f')];
  const writeAccess = (entries: ReturnType<typeof dev>[]) => {
    mkdirSync(dirname(fx.config.facts.paths.accessConf), { recursive: true });
    writeFileSync(fx.config.facts.paths.accessConf, renderAccessConf(entries, sampleSettings()), {
      mode: 0o600,
    });
  };

  test('after the last reload only, and only stanzas that authenticated a packet', async () => {
    mkdirSync(dirname(fwknopdLog(fx.config)), { recursive: true });
    writeFileSync(fwknopdLog(fx.config), '');
    const cursor = (await pull('fwknopd', 10, 'end')).next_cursor;
    appendFileSync(fwknopdLog(fx.config), netns);
    writeAccess([A, B, C]); // what fwknopd runs with after the reload: A #1, C #2, B #3
    const page = await pull('fwknopd', 5000, cursor);
    assert.equal(page.lines.length, lines.length);
    const ready = lines.findIndex((l, i) => i > reload && l.startsWith('Starting fwknopd main event loop'));
    assert.deepEqual(page.stanzas, {
      from_line: ready + 1,
      count: 3,
      users: { '2': C.deviceId, '3': B.deviceId },
    });
    // No key material ever leaves with the names.
    assert.ok(!JSON.stringify(page).includes(A.keyBase64));
  });

  test('a reload after the page means the names on disk are not the ones its lines ran with', async () => {
    writeFileSync(fwknopdLog(fx.config), '');
    const cursor = (await pull('fwknopd', 10, 'end')).next_cursor;
    appendFileSync(fwknopdLog(fx.config), netns);
    writeAccess([A, B, C]);
    const firstPart = await pull('fwknopd', reload, cursor); // stops before the reload
    assert.equal(firstPart.stanzas, undefined);
    const secondPart = await pull('fwknopd', 5000, firstPart.next_cursor);
    assert.equal(secondPart.stanzas?.count, 3);
  });

  test('the no-device stanza and unreadable files name nothing', async () => {
    writeFileSync(fwknopdLog(fx.config), '');
    const cursor = (await pull('fwknopd', 10, 'end')).next_cursor;
    appendFileSync(
      fwknopdLog(fx.config),
      '(stanza #1) SPA Packet from IP: 192.0.2.1 received with access source match\nAdded access rule to FWKNOP_INPUT for 192.0.2.1 -> 0.0.0.0/0 udp/9, expires at 1\n',
    );
    writeAccess([]);
    const page = await pull('fwknopd', 10, cursor);
    assert.deepEqual(page.stanzas, { from_line: 0, count: 1, users: {} });
    rmSync(fx.config.facts.paths.accessConf);
    const again = await pull('fwknopd', 10, cursor);
    assert.equal(again.stanzas, undefined);
  });
});

describe('the front door hello log is a forward source too', () => {
  test('end, then each line the capture appends, in order; the tail without a cursor', async () => {
    const log = frontDoorHelloLog(fx.config);
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(log, '{"old":1}\n', { mode: 0o600 });
    const start = await pull('hello', 10, 'end');
    assert.deepEqual(start.lines, []);
    const hello = (port: number) =>
      JSON.stringify({
        ts: '2026-12-04T00:00:00.000Z',
        src_ip: '198.51.100.7',
        src_port: port,
        dst_port: 443,
        ja3: '0'.repeat(32),
        ja4: 't13d030900_000000000000_000000000000',
      });
    appendFileSync(log, `${hello(40001)}\n${hello(40002)}\n`);
    const page = await pull('hello', 10, start.next_cursor);
    assert.deepEqual([page.lines, page.eof, page.stanzas], [[hello(40001), hello(40002)], true, undefined]);
    const parsed = parseRequestLine('pull_logs hello 1');
    assert.ok(parsed.ok);
    const tail = await pullLogs({
      config: fx.config,
      args: parsed.args,
      input: undefined,
      now: () => new Date(),
    });
    assert.deepEqual(tail.result, { lines: [hello(40002)], next_seq: null });
  });
});
