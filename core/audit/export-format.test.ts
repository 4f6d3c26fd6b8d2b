import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditEventSchema, type AuditFacts, buildAuditEvent } from './event.js';
import {
  AUDIT_CSV_COLUMNS,
  AUDIT_EVENT_FIELDS,
  csvCell,
  csvHeader,
  csvRow,
  type ExportRecord,
  ndjsonLine,
} from './export-format.js';

const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };
const H = (c: string) => c.repeat(64);

function record(over: Partial<AuditFacts> = {}) {
  const event = buildAuditEvent(
    CTX,
    { component: 'admin', action: 'admin.user_create', result: 'success', ...over },
    new Date('2030-01-02T03:04:05.678Z'),
  );
  return { seq: 7, prevHash: H('a'), hash: H('b'), event } satisfies ExportRecord;
}

/** A small RFC 4180 reader, so the tests check what a spreadsheet would read, not our own strings. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('audit export formats', () => {
  it('the CSV columns are every field of the event schema once, between seq and the chain', () => {
    assert.deepEqual([...AUDIT_EVENT_FIELDS].sort(), Object.keys(AuditEventSchema.properties).sort());
    assert.equal(new Set(AUDIT_CSV_COLUMNS).size, AUDIT_CSV_COLUMNS.length);
    assert.equal(AUDIT_CSV_COLUMNS[0], 'seq');
    assert.deepEqual(AUDIT_CSV_COLUMNS.slice(-2), ['prev_hash', 'hash']);
    assert.equal(csvHeader(), `${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('guards every text cell a spreadsheet would run as a formula, and only those', () => {
    for (const bad of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      const [[back]] = parseCsv(`${csvCell(bad)}\r\n`) as [[string]];
      assert.equal(back, `'${bad}`, JSON.stringify(bad));
    }
    assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    // Near misses: the characters anywhere but first, and numbers, are left alone.
    assert.equal(csvCell('a=1'), 'a=1');
    assert.equal(csvCell('x-y@z'), 'x-y@z');
    assert.equal(csvCell(-1), '-1');
    assert.equal(csvCell(0), '0');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(''), '');
  });

  it('quotes a cell with a quote, comma or line break, and a reader gets the text back', () => {
    assert.equal(csvCell('say "hi", bye'), '"say ""hi"", bye"');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('plain text'), 'plain text');
    const r = record({ error_msg: 'group "staff", member =cmd' });
    const rows = parseCsv(csvHeader() + csvRow(r));
    assert.equal(rows.length, 2);
    assert.equal(rows[1]!.length, AUDIT_CSV_COLUMNS.length);
    const cell = (name: string) => rows[1]![AUDIT_CSV_COLUMNS.indexOf(name as never)];
    assert.equal(cell('error_msg'), 'group "staff", member =cmd');
    assert.equal(cell('seq'), '7');
    assert.equal(cell('action'), 'admin.user_create');
    assert.equal(cell('user_id'), '');
    assert.equal(cell('gateway'), '');
    assert.equal(cell('hash'), H('b'));
  });

  it('a formula in an event field reaches the CSV defused', () => {
    const rows = parseCsv(csvRow(record({ error_msg: '=cmd|/c calc' })));
    assert.equal(rows[0]![AUDIT_CSV_COLUMNS.indexOf('error_msg')], "'=cmd|/c calc");
  });

  it('NDJSON lines are the audit.ndjson format: seq first, the event, then the chain', () => {
    const r = record({ gateway: 'gw-1' });
    const line = ndjsonLine(r);
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(Object.keys(parsed)[0], 'seq');
    const { seq, prev_hash, hash, ...event } = parsed;
    assert.deepEqual([seq, prev_hash, hash], [7, H('a'), H('b')]);
    assert.deepEqual(event, r.event);
  });
});
