import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness, userPseudonym } from '../testing/harness.js';

const USER = userPseudonym(1);
const fail = (asn: number | null, user: string | null = USER): AuditFacts => ({
  component: 'backend',
  action: 'auth.otp_verify',
  result: 'failure',
  user_id: user,
  src_ip: '198.51.100.20',
  asn,
  country: asn === null ? null : 'NL',
  error_code: 'VIW_E_OTP_INVALID',
});

describe('rule otp_stuffing', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('fires once for 10 failures from 3 ASNs (pki-siem §9.2), on the 5th failure that reaches 3 ASNs', async () => {
    h = harness();
    const asns = [64500, 64501, 64502];
    const records = [];
    for (let i = 0; i < 10; i += 1) records.push(...(await h.emit(fail(asns[i % 3] ?? null))));
    const alerts = h.sink.of('otp_stuffing');
    assert.equal(alerts.length, 1);
    const [a] = alerts;
    assert.equal(a?.key, USER);
    assert.equal(a?.severity, 'error');
    assert.equal(a?.fields.count, 5);
    assert.equal(a?.fields.distinct_count, 3);
    assert.deepEqual(a?.fields.asn_seen, ['64500', '64501', '64502']);
    assert.equal(a?.context?.user_id, USER);
    assert.deepEqual(
      a?.evidence,
      records.slice(0, 5).map((r) => r.seq),
    );
  });

  it('near miss: 4 failures from 3 ASNs', async () => {
    h = harness();
    await h.emit(fail(64500), fail(64501), fail(64502), fail(64500));
    assert.equal(h.sink.alerts.length, 0);
  });

  it('near miss: 5 failures from 2 ASNs', async () => {
    h = harness();
    await h.emit(fail(64500), fail(64501), fail(64500), fail(64501), fail(64500), fail(64501));
    assert.equal(h.sink.alerts.length, 0);
  });

  it('failures without an AS count as ONE value, "unknown": they cannot inflate the distinct count', async () => {
    h = harness();
    await h.emit(fail(null), fail(null), fail(null), fail(null), fail(null), fail(64500));
    assert.equal(h.sink.alerts.length, 0, '6 failures, but only "unknown" and 64500');
    await h.emit(fail(64501));
    const [a] = h.sink.of('otp_stuffing');
    assert.deepEqual(a?.fields.asn_seen, ['unknown', '64500', '64501']);
  });

  it('near miss: the failures spread over more than 10 minutes', async () => {
    h = harness();
    for (const asn of [64500, 64501, 64502, 64503, 64504]) {
      await h.emit(fail(asn));
      h.clock.advance(151_000); // the 5th comes 604 s after the 1st
    }
    assert.equal(h.sink.alerts.length, 0);
  });

  it('counts per user; ignores successes, denials, phone denials and failures without a user', async () => {
    h = harness();
    const other = userPseudonym(2);
    await h.emit(fail(64500), fail(64501), fail(64502, other), fail(64503, other));
    await h.emit(
      { component: 'backend', action: 'auth.otp_verify', result: 'success', user_id: USER, asn: 64510 },
      { component: 'backend', action: 'auth.otp_verify', result: 'denied', user_id: USER, asn: 64511 },
      { component: 'backend', action: 'auth.otp_deny', result: 'success', user_id: USER, asn: 64512 },
      fail(64513, null),
      fail(64514, null),
    );
    assert.equal(h.sink.alerts.length, 0);
  });

  it('alerts again for the same user only after the window', async () => {
    h = harness();
    for (let i = 0; i < 6; i += 1) await h.emit(fail(64500 + (i % 3)));
    h.clock.advance(300_000);
    for (let i = 0; i < 6; i += 1) await h.emit(fail(64500 + (i % 3)));
    assert.equal(h.sink.of('otp_stuffing').length, 1, 'still within 10 min of the first alert');
    h.clock.advance(601_000);
    for (let i = 0; i < 5; i += 1) await h.emit(fail(64500 + (i % 3)));
    assert.equal(h.sink.of('otp_stuffing').length, 2);
  });
});
