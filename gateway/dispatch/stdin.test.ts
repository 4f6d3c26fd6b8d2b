import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { parseJsonDocument, readBounded } from './stdin.js';

test('reads a document up to the cap', async () => {
  const doc = Buffer.from('{"a":1}');
  const got = await readBounded(Readable.from([doc]), doc.length, 5_000);
  assert.deepEqual(parseJsonDocument(got), { a: 1 });
});

test('one byte over the cap is refused as invalid', async () => {
  const stream = Readable.from([Buffer.alloc(10, 0x20), Buffer.alloc(1, 0x20)]);
  await assert.rejects(readBounded(stream, 10, 5_000), (e) => isViworksError(e, 'VIW_E_VALIDATION'));
});

test('a sender that never closes stdin is cut off', async () => {
  const stream = new PassThrough();
  stream.write('{"a":');
  await assert.rejects(
    readBounded(stream, 100, 50),
    (e) => isViworksError(e, 'VIW_E_VALIDATION') && /not closed/.test((e as Error).message),
  );
  stream.destroy();
});

test('invalid UTF-8 and non-JSON are refused, and the buffer is wiped', () => {
  for (const bytes of [Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from('{"a":')]) {
    assert.throws(
      () => parseJsonDocument(bytes),
      (e) => isViworksError(e, 'VIW_E_VALIDATION'),
    );
    assert.ok(
      bytes.every((b) => b === 0),
      'buffer not wiped',
    );
  }
});
