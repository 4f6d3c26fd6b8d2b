import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { getPath, pointer, setPath } from './document.js';
import { fromSiemDocument, type ShippedRecord, SIEM_FORMATS, toSiemDocument } from './format.js';
import { randomRecords } from './testing/random-records.js';

const RECORDS = randomRecords(3000);

/** The details of the VIW_E_VALIDATION that `fn` throws (fails when it throws nothing else). */
function validationDetails(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(isViworksError(err, 'VIW_E_VALIDATION'), `expected VIW_E_VALIDATION, got ${String(err)}`);
    return err.details;
  }
  assert.fail('expected VIW_E_VALIDATION, nothing was thrown');
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('SIEM formats: exact inverse', () => {
  for (const format of SIEM_FORMATS) {
    it(`${format}: fromSiemDocument(toSiemDocument(r)) deep-equals r over ${RECORDS.length} random events, through JSON`, () => {
      let nullsSeen = 0;
      for (const record of RECORDS) {
        const doc = toSiemDocument(format, record);
        const text = JSON.stringify(doc);
        // JSON round-tripping the document changes nothing: no undefined, no NaN, no lost digits.
        assert.deepStrictEqual(JSON.parse(text), doc, `seq ${record.seq}`);
        assert.deepStrictEqual(fromSiemDocument(format, JSON.parse(text)), record, `seq ${record.seq}`);
        nullsSeen += Object.values(record.event).filter((v) => v === null).length;
      }
      assert.ok(nullsSeen > RECORDS.length, 'the generator produced nulls');
    });
  }

  it('native is the audit.ndjson line, byte for byte (key order included)', () => {
    const r = RECORDS[0]!;
    const line = JSON.stringify({ seq: r.seq, ...r.event, prev_hash: r.prevHash, hash: r.hash });
    assert.equal(JSON.stringify(toSiemDocument('native', r)), line);
  });

  it('every field of the event is present in every format (a null field is absent, never invented)', () => {
    const full = RECORDS.find((r) => Object.values(r.event).every((v) => v !== null));
    assert.ok(full, 'a record with no null field');
    for (const format of SIEM_FORMATS) {
      const text = JSON.stringify(toSiemDocument(format, full));
      for (const [field, value] of Object.entries(full.event)) {
        // OCSF time is epoch milliseconds, not the ISO text.
        if (format === 'ocsf' && field === 'timestamp') {
          assert.equal(toSiemDocument(format, full).time, Date.parse(full.event.timestamp));
          continue;
        }
        assert.ok(text.includes(JSON.stringify(value)), `${format}: ${field} is in the document`);
      }
    }
  });
});

describe('SIEM formats: the extension fields (gateway, tls_ja4)', () => {
  const withBoth = RECORDS.find((r) => r.event.gateway !== undefined && r.event.tls_ja4 !== undefined)!;
  const withNeither = RECORDS.find((r) => !('gateway' in r.event) && !('tls_ja4' in r.event))!;
  const ABSENT_PATHS = {
    native: ['gateway', 'tls_ja4'],
    ecs: ['observer', 'viworks.tls'],
    ocsf: ['metadata.reporter', 'ja4_fingerprint_list', 'unmapped.gateway', 'unmapped.tls_ja4'],
  } as const;
  /** Where each format puts them for withBoth's action (ECS: fixed; OCSF: by class). */
  const placed = (format: 'ecs' | 'ocsf', field: 'gateway' | 'tls_ja4'): string => {
    const doc = toSiemDocument(format, withBoth);
    const value = withBoth.event[field];
    const text = JSON.stringify(doc);
    assert.ok(text.includes(JSON.stringify(value)), `${format}: ${field} is in the document`);
    return field === 'gateway'
      ? format === 'ecs'
        ? 'observer.name'
        : 'metadata.reporter.name'
      : format === 'ecs'
        ? 'viworks.tls.client.ja4'
        : JSON.stringify(doc).includes('ja4_fingerprint_list')
          ? 'ja4_fingerprint_list.0.value'
          : 'unmapped.tls_ja4';
  };

  it('both formats and native carry them when present, and leave them out (not null) when absent', () => {
    assert.ok(withBoth && withNeither, 'the generator produced both kinds');
    for (const format of SIEM_FORMATS) {
      const back = fromSiemDocument(format, clone(toSiemDocument(format, withNeither)));
      assert.equal(Object.hasOwn(back.event, 'gateway'), false, `${format}: gateway stays absent`);
      assert.equal(Object.hasOwn(back.event, 'tls_ja4'), false, `${format}: tls_ja4 stays absent`);
      const doc = toSiemDocument(format, withNeither);
      for (const path of ABSENT_PATHS[format])
        assert.equal(getPath(doc, path), undefined, `${format}: nothing at ${path}`);
      assert.deepStrictEqual(fromSiemDocument(format, clone(toSiemDocument(format, withBoth))), withBoth);
    }
  });

  for (const format of ['ecs', 'ocsf'] as const) {
    for (const field of ['gateway', 'tls_ja4'] as const) {
      it(`${format}: ${field} set to null or malformed in the document is refused`, () => {
        const path = placed(format, field);
        const nulled = clone(toSiemDocument(format, withBoth));
        setPath(nulled, path, null);
        const at = pointer(path);
        assert.equal(validationDetails(() => fromSiemDocument(format, nulled))[0]?.startsWith(at), true, at);
        const bad = clone(toSiemDocument(format, withBoth));
        setPath(bad, path, field === 'gateway' ? 'x\u0001' : 't13d1516h2_8daaf6152771_E5627EFA2AB1');
        assert.equal(validationDetails(() => fromSiemDocument(format, bad))[0]?.startsWith(at), true, at);
      });
    }
  }

  it('native: an old line (no extension keys) and a line with them both verify as written', () => {
    for (const r of [withNeither, withBoth]) {
      const line = JSON.stringify({ seq: r.seq, ...r.event, prev_hash: r.prevHash, hash: r.hash });
      assert.equal(JSON.stringify(toSiemDocument('native', r)), line);
      assert.deepStrictEqual(fromSiemDocument('native', JSON.parse(line)), r);
    }
    const nulled = { ...clone(toSiemDocument('native', withNeither)), gateway: null };
    assert.match(validationDetails(() => fromSiemDocument('native', nulled)).join('\n'), /^\/gateway/);
  });
});

describe('SIEM formats: a document that is not exactly its record is refused, naming the path', () => {
  const record: ShippedRecord = RECORDS.find(
    (r) => r.event.src_port !== null && r.event.duration_ms !== null,
  )!;

  const cases: Array<[string, 'ecs' | 'ocsf' | 'native', (doc: Record<string, unknown>) => void, RegExp]> = [
    [
      'a derived ECS field edited',
      'ecs',
      (d) => setPath(d, 'event.outcome', 'unknown'),
      /^\/event\/outcome: /,
    ],
    [
      'ECS nanoseconds disagree with the exact ms',
      'ecs',
      (d) => setPath(d, 'event.duration', 1),
      /^\/event\/duration: /,
    ],
    [
      'a field ECS does not carry',
      'ecs',
      (d) => setPath(d, 'host.name', 'x'),
      /^\/host: not part of this format/,
    ],
    ['an ECS field of the wrong type', 'ecs', (d) => setPath(d, 'source.port', '443'), /^\/source\/port: /],
    ['the OCSF class changed', 'ocsf', (d) => Object.assign(d, { class_uid: 3005 }), /^\/class_uid: /],
    ['type_uid inconsistent', 'ocsf', (d) => Object.assign(d, { type_uid: 1 }), /^\/type_uid: /],
    ['OCSF time not an integer', 'ocsf', (d) => Object.assign(d, { time: 'yesterday' }), /^\/time: /],
    [
      'a key removed',
      'ocsf',
      (d) => delete (d.metadata as Record<string, unknown>).uid,
      /^\/metadata\/uid: missing/,
    ],
    ['a native field unknown', 'native', (d) => Object.assign(d, { extra: 1 }), /extra|\/: /],
    ['a native hash not hex', 'native', (d) => Object.assign(d, { hash: 'zz' }), /^\/hash: /],
  ];
  for (const [name, format, mutate, detail] of cases) {
    it(`${format}: ${name}`, () => {
      const doc = clone(toSiemDocument(format, record));
      fromSiemDocument(format, clone(doc)); // the untouched document passes
      mutate(doc);
      const details = validationDetails(() => fromSiemDocument(format, doc));
      assert.match(details.join('\n'), detail);
    });
  }

  it('not an object', () => {
    for (const format of SIEM_FORMATS) {
      assert.deepEqual(
        validationDetails(() => fromSiemDocument(format, [])),
        ['/: must be an object'],
      );
    }
  });
});
