// The audit fields a data-plane fact gives by itself (docs/detections.md#data-plane-events): what
// its log lines and the node's access.conf say. What only the backend knows — the user behind a
// session or device, the device behind a session, country and AS — is left for the reader that knows
// it to add.
import type { AuditFacts } from '../../audit/event.js';
import { fromWireId } from '../../bootstrap/wire-ids.js';
import type { ResolvedFact } from './page-facts.js';
import type { JoinedSource } from './relay-join.js';

/** Longest `gateway` value the audit schema takes. */
const MAX_GATEWAY_CHARS = 64;

export function dataplaneAuditFields(
  { fact: f, fwknopId }: ResolvedFact,
  joined: JoinedSource,
  gateway: string,
): AuditFacts {
  const note = f.grantedIp ? `access opened for ${f.grantedIp}` : null;
  return {
    component: 'gateway',
    action: f.action,
    result: f.result,
    gateway: gateway.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_GATEWAY_CHARS) || null,
    src_ip: joined.srcIp,
    src_port: joined.srcPort,
    dst_port: f.dstPort,
    proto: f.proto,
    fwknop_id: fwknopId,
    device_id: fwknopId ? fromWireId('d', fwknopId) : null,
    session_id: joined.sessionWireId ? fromWireId('s', joined.sessionWireId) : null,
    ovpn_virtual_ip: f.virtualIp,
    bytes_in: f.bytesIn,
    bytes_out: f.bytesOut,
    duration_ms: f.durationMs,
    error_msg: f.reason ?? note,
  };
}
