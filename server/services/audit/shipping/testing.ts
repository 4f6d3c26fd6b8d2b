// What the shipping tests share (tests only): a real hash chain of records, the sequence numbers a
// real rsyslog receiver got, and a poll-until-true with a deadline.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chainHash, GENESIS_HASH } from '../../../../core/audit/chain.js';
import { buildAuditEvent } from '../../../../core/audit/event.js';
import type { RsyslogReceiver } from '../../../../scripts/testkit/rsyslog.js';
import { parseSyslogMessage, VIWORKS_SD_ID } from './rfc5424.js';
import type { ShippedRecord } from './transport.js';

/** n chained records after `prev` (a real hash chain, as the audit table holds). */
export function chainedRecords(
  n: number,
  prev: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): ShippedRecord[] {
  const out: ShippedRecord[] = [];
  let { seq, hash } = prev;
  for (let i = 0; i < n; i++) {
    const event = buildAuditEvent(
      { env: 'test', site: 'lab', tenant_id: 't1' },
      { component: 'backend', action: 'auth.login', result: 'success', trace_id: `trace-${seq + 1}-abcdef` },
    );
    const next = chainHash(hash, event);
    out.push({ seq: ++seq, prevHash: hash, hash: next, event });
    hash = next;
  }
  return out;
}

/** The seqs the receiver got, in file order (the full seq from our SD element), duplicates kept. */
export async function receivedSeqs(receiver: RsyslogReceiver): Promise<number[]> {
  return (await receiver.messages()).map((l) =>
    Number(parseSyslogMessage(l).structuredData[VIWORKS_SD_ID]?.seq),
  );
}

/** Polls `ok` every pollMs (default 100) until it holds; fails the test after timeoutMs. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  ok: () => boolean | Promise<boolean>,
  opts: { pollMs?: number; context?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await sleep(opts.pollMs ?? 100);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${opts.context?.() ?? ''}`);
}
