import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../../../core/audit/chain.js';
import { type AuditFacts, buildAuditEvent } from '../../../../core/audit/event.js';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import {
  escapeParamValue,
  formatSyslogMessage,
  frameOctetCounted,
  parseSyslogMessage,
  sequenceIdOf,
  VIWORKS_SD_ID,
} from './rfc5424.js';
import type { ShippedRecord } from './transport.js';

function record(seq: number, facts: Partial<AuditFacts> = {}): ShippedRecord {
  const event = buildAuditEvent(
    { env: 'test', site: 'lab', tenant_id: 't1' },
    { component: 'backend', action: 'auth.login', result: 'success', ...facts },
    new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
  );
  return { seq, prevHash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, event), event };
}

describe('RFC 5424 messages for the audit stream', () => {
  it('writes PRI (facility 13 + severity), the header, both SD elements and the JSON body', () => {
    const r = record(42, { result: 'denied', session_id: 's-1' });
    const text = formatSyslogMessage(r, { hostname: 'backend-1', procId: '77' });
    // denied → warning (4); 13 * 8 + 4 = 108.
    assert.equal(
      text,
      `<108>1 2026-01-02T03:04:05.678Z backend-1 viworks-server 77 auth.login ` +
        `[meta sequenceId="42"][${VIWORKS_SD_ID} seq="42" hash="${r.hash}" prevHash="${GENESIS_HASH}"] ` +
        canonicalJson({ seq: 42, hash: r.hash, prev_hash: GENESIS_HASH, ...r.event }),
    );
  });

  it('maps every severity to its RFC 5424 code', () => {
    const codes = { critical: 2, error: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
    for (const [severity, code] of Object.entries(codes)) {
      const text = formatSyslogMessage(record(1, { severity: severity as keyof typeof codes }), {
        hostname: 'h',
      });
      assert.ok(text.startsWith(`<${13 * 8 + code}>1 `), severity);
    }
  });

  it('parses back what it wrote: seq, hash, prevHash and the event', () => {
    const r = record(7, { error_msg: 'quote " backslash \\ bracket ] done' });
    const parsed = parseSyslogMessage(formatSyslogMessage(r, { hostname: 'h', procId: '1' }));
    assert.equal(parsed.pri, 110);
    assert.equal(parsed.msgId, 'auth.login');
    assert.equal(parsed.appName, 'viworks-server');
    assert.equal(parsed.structuredData.meta?.sequenceId, '7');
    assert.equal(parsed.structuredData[VIWORKS_SD_ID]?.hash, r.hash);
    const body = JSON.parse(parsed.msg);
    assert.equal(body.seq, 7);
    assert.equal(body.prev_hash, r.prevHash);
    const { seq: _s, hash: _h, prev_hash: _p, ...event } = body;
    assert.deepEqual(event, r.event);
    assert.equal(chainHash(body.prev_hash, event), body.hash);
  });

  it('escapes ", \\ and ] in SD-PARAM values, and the parser undoes it', () => {
    assert.equal(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
    const custom = formatSyslogMessage({ ...record(3), hash: 'x"]\\y' }, { hostname: 'h' });
    assert.equal(parseSyslogMessage(custom).structuredData[VIWORKS_SD_ID]?.hash, 'x"]\\y');
  });

  it('wraps meta sequenceId at 2147483647 but keeps the full seq in its own element', () => {
    assert.equal(sequenceIdOf(2_147_483_647), 2_147_483_647);
    assert.equal(sequenceIdOf(2_147_483_648), 1);
    const parsed = parseSyslogMessage(formatSyslogMessage(record(2_147_483_649), { hostname: 'h' }));
    assert.equal(parsed.structuredData.meta?.sequenceId, '2');
    assert.equal(parsed.structuredData[VIWORKS_SD_ID]?.seq, '2147483649');
  });

  it('keeps header fields within RFC 5424: printable, no spaces, MSGID ≤ 32, NILVALUE when empty', () => {
    const long = record(1, { action: 'admin.some_really_long_action_name_here' });
    const parsed = parseSyslogMessage(formatSyslogMessage(long, { hostname: 'my host\n', procId: '' }));
    assert.equal(parsed.hostname, 'myhost');
    assert.equal(parsed.procId, '-');
    assert.equal(parsed.msgId, 'admin.some_really_long_action_na');
    assert.equal(parsed.msgId.length, 32);
  });

  it('frames by octet count in bytes, not characters (RFC 5425)', () => {
    assert.equal(frameOctetCounted('héllo').toString('utf8'), '6 héllo');
  });

  it('refuses a message over 64 KiB instead of sending it cut', () => {
    assert.throws(
      () => formatSyslogMessage(record(1), { hostname: 'h' }, () => 'x'.repeat(70_000)),
      (err: unknown) => isViworksError(err, 'VIW_E_VALIDATION'),
    );
  });

  it('rejects text that is not RFC 5424', () => {
    for (const bad of ['hello', '<13>1 t h a p m [meta x="1" rest', '<13>1 t h a p m [meta x=1]']) {
      assert.throws(
        () => parseSyslogMessage(bad),
        (err: unknown) => isViworksError(err, 'VIW_E_VALIDATION'),
        bad,
      );
    }
  });
});
