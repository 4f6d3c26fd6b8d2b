// stunnel.conf for the front door (docs/architecture.md#stunnel-front-door, adapted to stunnel 5.68): TLS
// 1.3 only with the two allowed suites, a client certificate from our CA required and checked
// against the CRL, plaintext handed to OpenVPN on loopback only.
import type { GatewaySettings } from '../../core/gateway/control.js';
import { type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkSettings, renderLines } from './values.js';

export const STUNNEL_SERVICE = 'viworks_tls';
export const TLS13_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
/**
 * Idle limit per connection (seconds). OpenVPN's `keepalive 10 60` sends a ping every 10 s, so a live
 * tunnel is never idle this long; a peer that stalls does not hold a slot for stunnel's 12 h default.
 */
export const STUNNEL_IDLE_TIMEOUT_S = 120;

export function renderStunnelConf(settings: GatewaySettings, facts: NodeFacts): string {
  const s = checkSettings(settings);
  const f = validateNodeFacts(facts);
  const p = f.paths;
  const user = f.stunnelUser ? [`setuid = ${f.stunnelUser.user}`, `setgid = ${f.stunnelUser.group}`] : [];
  return renderLines([
    'foreground = no',
    `pid = ${p.stunnelPid}`,
    `output = ${p.stunnelLog}`,
    '# One log, the file viworks-gw reads for pull_logs.',
    'syslog = no',
    'debug = notice',
    ...user,
    '',
    `[${STUNNEL_SERVICE}]`,
    `accept = ${f.listenAddress}:${s.tls_port}`,
    '# OpenVPN listens on loopback only: nothing reaches it without passing this TLS layer.',
    `connect = 127.0.0.1:${f.openvpnPort}`,
    'sslVersionMin = TLSv1.3',
    'sslVersionMax = TLSv1.3',
    `ciphersuites = ${TLS13_CIPHERSUITES}`,
    `cert = ${p.stunnelCert}`,
    `key = ${p.stunnelKey}`,
    '# verify = 2: a client certificate chaining to our CA is required, and must not be revoked.',
    'verifyChain = yes',
    'requireCert = yes',
    `CAfile = ${p.clientCa}`,
    `CRLfile = ${p.crl}`,
    'options = NO_RENEGOTIATION',
    `TIMEOUTidle = ${STUNNEL_IDLE_TIMEOUT_S}`,
  ]);
}
