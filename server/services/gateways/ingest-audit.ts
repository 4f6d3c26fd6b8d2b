// Pulls a gateway's own audit log into the backend's audit stream: `pull_logs audit 500 <auditSeq>`,
// one backend event per node line (component 'gateway', action 'gateway.node_command', or
// 'gateway.node_invalid' / denied for requests the node refused), then the cursor advances. The node
// writes one JSON object per request (gateway/state/audit-log.ts: seq, ts, verb, args, rc,
// duration_ms, ssh_client, error, attempt); the fields used here are validated, the rest ignored.
// Node text is untrusted: only printable ASCII, cut to the audit schema's bounds, ever lands here.
import { Type } from 'typebox';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { OpsDeps } from './operations.js';
import { type GatewayRow, targetOf } from './operations.js';
import { runControl } from './runner.js';

/** Lines per pull; the poller pulls again on its next tick if the node has more. */
export const AUDIT_PAGE_LINES = 500;

const PullLogsResult = Type.Object(
  {
    lines: Type.Array(Type.String({ maxLength: 64 * 1024 }), { maxItems: 5000 }),
    next_seq: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  closed,
);
const pullLogsResult = strictValidator(PullLogsResult);

// Open on purpose: the node may add fields; only these are read.
const NodeAuditLine = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  verb: Type.String({ maxLength: 64 }),
  args: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 8 }),
  rc: Type.Integer({ minimum: -255, maximum: 255 }),
  duration_ms: Type.Integer({ minimum: 0 }),
  ssh_client: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]),
  error: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
  attempt: Type.Optional(Type.String({ maxLength: 512 })),
});
const nodeAuditLine = strictValidator(NodeAuditLine);

const printable = (text: string, max: number) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

/** Audit facts for one node line (exported for tests). */
export function factsOfNodeLine(gatewayName: string, line: string) {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (!nodeAuditLine.check(value)) {
    return {
      component: 'gateway' as const,
      action: 'gateway.node_unparsed',
      result: 'error' as const,
      error_code: 'VIW_E_GATEWAY_COMMAND' as const,
      error_msg: `${printable(gatewayName, 64)}: node audit line does not parse`,
    };
  }
  const entry = value;
  const refused = entry.verb === 'invalid' || entry.rc === 2;
  const ip = entry.ssh_client?.split(' ')[0];
  const wire = (p: 's' | 'd') => entry.args.map((a) => fromWireId(p, a)).find((id) => id !== null) ?? null;
  const errorCode = entry.error && /^VIW_E_[A-Z0-9_]+$/.test(entry.error) ? entry.error : null;
  const msg = [`${gatewayName}#${entry.seq}`, entry.error, entry.attempt ? `attempt: ${entry.attempt}` : null]
    .filter(Boolean)
    .join(' ');
  return {
    component: 'gateway' as const,
    action: refused ? 'gateway.node_invalid' : 'gateway.node_command',
    result: refused ? ('denied' as const) : entry.rc === 0 ? ('success' as const) : ('failure' as const),
    cmd: printable(entry.verb, 64) || 'unknown',
    rc: entry.rc,
    duration_ms: entry.duration_ms,
    ...(ip && /^[0-9A-Fa-f.:]{2,45}$/.test(ip) ? { src_ip: ip } : {}),
    device_id: wire('d'),
    session_id: wire('s'),
    error_code: errorCode,
    error_msg: printable(msg, 256),
  };
}

/** One page of the node's audit log into ours; returns how many lines were ingested. */
export async function ingestAudit(deps: OpsDeps, row: GatewayRow): Promise<number> {
  const reply = await runControl(deps.runner, targetOf(row), {
    verb: 'pull_logs',
    args: ['audit', String(AUDIT_PAGE_LINES), String(row.auditSeq)],
  });
  const result = pullLogsResult.parse(reply.result, 'VIW_E_GATEWAY_COMMAND');
  for (const line of result.lines) {
    const facts = factsOfNodeLine(row.name, line);
    // The node's record of our own successful log reads (see runner.ts): not ingested.
    if ('cmd' in facts && facts.cmd === 'pull_logs' && facts.result === 'success') continue;
    await deps.audit.record(facts);
  }
  const next = result.next_seq ?? row.auditSeq;
  // Only forward, and only from the cursor this pull started at (two pollers never double-advance).
  if (next > row.auditSeq) {
    await deps.db.gateway.updateMany({
      where: { id: row.id, auditSeq: row.auditSeq },
      data: { auditSeq: next },
    });
  }
  return result.lines.length;
}
