// The shared audit filters: each flag lands under the API's field name, and a flag not given adds
// no field (the query string must not carry `from=undefined`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditFilterFlags, auditFilterQuery } from './audit-filters.js';

describe('auditFilterQuery', () => {
  it('maps every flag to its query field', () => {
    assert.deepEqual(
      auditFilterQuery({
        from: '2030-01-01T00:00:00Z',
        to: '2030-02-01T00:00:00Z',
        action: 'admin.',
        result: 'denied',
        user: 'u-1',
        actor: 'u-2',
        session: 's-1',
        device: '0190c3a4-0000-7000-8000-000000000001',
      }),
      {
        from: '2030-01-01T00:00:00Z',
        to: '2030-02-01T00:00:00Z',
        action_prefix: 'admin.',
        result: 'denied',
        user_id: 'u-1',
        actor: 'u-2',
        session_id: 's-1',
        device_id: '0190c3a4-0000-7000-8000-000000000001',
      },
    );
  });

  it('leaves out the flags not given, keeping an empty one for the API to refuse', () => {
    const query = auditFilterQuery({ action: 'auth.login', user: undefined, session: '' });
    assert.deepEqual(query, { action_prefix: 'auth.login', session_id: '' });
    assert.equal('user_id' in query, false);
  });

  it('offers exactly the flags it maps', () => {
    assert.deepEqual(Object.keys(auditFilterFlags).sort(), [
      'action',
      'actor',
      'device',
      'from',
      'result',
      'session',
      'to',
      'user',
    ]);
  });
});
