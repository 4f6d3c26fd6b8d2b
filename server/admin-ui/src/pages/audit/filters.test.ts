import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportFileName } from './download.js';
import { auditFilterOf, EMPTY_AUDIT_FORM, instantOf } from './filters.js';

describe('the Audit search form as an API query', () => {
  it('leaves empty fields out', () => {
    assert.deepEqual(auditFilterOf(EMPTY_AUDIT_FORM), {});
    assert.deepEqual(auditFilterOf({ ...EMPTY_AUDIT_FORM, user: '  ', action: ' ' }), {});
  });

  it('trims, lower-cases the action prefix and maps each field to its parameter', () => {
    assert.deepEqual(
      auditFilterOf({
        user: ' u-0123456789abcdef01234567 ',
        actor: 'u-aaaaaaaaaaaaaaaaaaaaaaaa',
        session: 's-1',
        device: ' 0190c3a4-0000-7000-8000-000000000001 ',
        action: 'Admin.User',
        result: 'denied',
        from: '',
        to: '',
      }),
      {
        user_id: 'u-0123456789abcdef01234567',
        actor: 'u-aaaaaaaaaaaaaaaaaaaaaaaa',
        session_id: 's-1',
        device_id: '0190c3a4-0000-7000-8000-000000000001',
        action_prefix: 'admin.user',
        result: 'denied',
      },
    );
  });

  it('turns local times into the API instant format, and drops unreadable ones', () => {
    const from = instantOf('2026-12-04T18:25');
    assert.match(from ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(new Date(from ?? '').getTime(), new Date(2026, 11, 4, 18, 25).getTime());
    assert.equal(instantOf(''), undefined);
    assert.equal(instantOf('not a time'), undefined);
    assert.deepEqual(auditFilterOf({ ...EMPTY_AUDIT_FORM, to: 'nonsense' }), {});
  });
});

describe('the export file name', () => {
  it('is the format and the UTC time, to the second', () => {
    const at = new Date(Date.UTC(2026, 11, 4, 18, 25, 1, 999));
    assert.equal(exportFileName('ndjson', at), 'audit-20261204T182501Z.ndjson');
    assert.equal(exportFileName('csv', at), 'audit-20261204T182501Z.csv');
  });
});
