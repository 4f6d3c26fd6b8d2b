import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildAuditEvent } from '../../../core/audit/event.js';
import { factsOfNodeLine } from './ingest-audit.js';

const ctx = { env: 'test', site: 'lab', tenant_id: 't' };
const sid = `s-${'ab'.repeat(16)}`;

it('maps node audit lines to valid backend events: commands, refusals, unparsable lines', () => {
  const ok = factsOfNodeLine(
    'default',
    JSON.stringify({
      seq: 7,
      ts: 'x',
      verb: 'terminate_session',
      args: [sid],
      rc: 0,
      duration_ms: 12,
      ssh_client: '10.0.0.2 5000 2222',
      error: null,
    }),
  );
  const e = buildAuditEvent(ctx, ok);
  assert.deepEqual(
    [e.action, e.result, e.cmd, e.rc, e.duration_ms, e.src_ip, e.session_id],
    [
      'gateway.node_command',
      'success',
      'terminate_session',
      0,
      12,
      '10.0.0.2',
      'abababab-abab-abab-abab-abababababab',
    ],
  );
  const refused = buildAuditEvent(
    ctx,
    factsOfNodeLine(
      'default',
      JSON.stringify({
        seq: 8,
        ts: 'x',
        verb: 'invalid',
        args: [],
        rc: 2,
        duration_ms: 1,
        ssh_client: null,
        error: 'VIW_E_VALIDATION',
        attempt: 'bash -i\u0000\u001b[31m',
      }),
    ),
  );
  assert.deepEqual(
    [refused.action, refused.result, refused.error_code],
    ['gateway.node_invalid', 'denied', 'VIW_E_VALIDATION'],
  );
  assert.match(refused.error_msg ?? '', /^default#8 VIW_E_VALIDATION attempt: bash -i\?\?\[31m$/);
  const junk = buildAuditEvent(ctx, factsOfNodeLine('default', 'not json'));
  assert.deepEqual([junk.action, junk.result], ['gateway.node_unparsed', 'error']);
});
