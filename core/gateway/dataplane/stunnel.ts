// stunnel 5.68's log (`output =` file, `debug = notice`) → TLS handshake facts. Lines of one
// connection carry its number, LOG<level>[<n>]:
//   2026.12.04 00:57:23 LOG5[1]: Service [viworks_tls] accepted connection from 10.0.0.2:49882
//   2026.12.04 00:57:23 LOG3[1]: SSL_accept: ../ssl/statem/statem_srvr.c:1664: error:0A000102:SSL routines::unsupported protocol
//   2026.12.04 00:57:23 LOG5[1]: Connection reset/closed: 0 byte(s) sent to TLS, 0 byte(s) sent to socket
// and a good one connects on to OpenVPN once the handshake is done (stunnel connects after SSL_accept):
//   … LOG5[8]: Certificate accepted at depth=0: CN=s-<32 hex>, O=ViWorkS
//   … LOG5[8]: Service [viworks_tls] connected remote server from 127.0.0.1:58368
// The log has whole seconds only, so duration_ms has a resolution of one second (a stalled or slow
// handshake shows; a normal one reads 0). stunnel only accepts TLS 1.3 (stunnel-conf.ts), so a
// completed handshake is TLSv1.3.
// What the peer controls: its certificate's subject, printed after "Rejected by CERT at depth=N:" with
// control bytes escaped but anything printable kept — it is never read. The CN is read only from
// "Certificate accepted at depth=0", i.e. a certificate our CA signed, and only in the session grammar.
import {
  BoundedMap,
  elapsedMs,
  isIpv4,
  type LineTime,
  lineTime,
  MAX_LINE_CHARS,
  port,
  reasonText,
} from './text.js';
import { type DataplaneFact, type DataplaneParser, fact } from './types.js';

/** The TLS version the front door allows (stunnel-conf.ts sslVersionMin/Max). */
export const FRONT_DOOR_TLS = 'TLSv1.3';

const LINE_RE =
  /^([0-9]{4})\.([0-9]{2})\.([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) LOG[0-7]\[([0-9]{1,12}|[a-z]{1,8})\]: (.*)$/;
const ADDR = '(?:([0-9]{1,3}(?:\\.[0-9]{1,3}){3})|\\[?([0-9a-fA-F:.]{2,45})\\]?):([0-9]{1,5})';
const ACCEPTED_RE = new RegExp(`^Service \\[[A-Za-z0-9_.-]{1,64}\\] accepted connection from ${ADDR}$`);
const CONNECTED_RE = new RegExp(`^Service \\[[A-Za-z0-9_.-]{1,64}\\] connected remote server from ${ADDR}$`);
const CERT_OK_RE = /^Certificate accepted at depth=0: CN=(s-[0-9a-f]{32})(?:, |$)/;
const PREVERIFY_RE = /^CERT: Pre-verification error: ([a-z0-9 ]{1,80})$/;
const REJECTED_RE = /^Rejected by (CERT|CRL|OCSP) at depth=([0-9]{1,2}):/;
const SSL_ACCEPT_RE = /^SSL_accept: (.{1,400})$/;
const OPENSSL_REASON_RE = /error:[0-9A-F]{8}:[A-Za-z0-9 ]{1,40} routines::([a-z0-9 ]{1,80})$/;
const REMOTE_FAILED_RE = /^(No more addresses to connect|s_connect: connect [^ ]{1,64}: )/;
const CLOSED_RE =
  /^Connection (?:closed|reset|reset\/closed): ([0-9]{1,15}) byte\(s\) sent to TLS, ([0-9]{1,15}) byte\(s\) sent to socket$/;
/** The banner stunnel prints when it (re)starts: connection numbers begin again. */
const STARTED_RE = /^stunnel [0-9]+\.[0-9]+ on /;

interface Connection {
  readonly ip: string | null;
  readonly port: number | null;
  readonly since: LineTime | null;
  session: string | null;
  certificate: string | null;
  /** A fact was already emitted for this connection's handshake. */
  done: boolean;
}

function peer(m: RegExpExecArray): { ip: string | null; port: number | null } {
  const v4 = m[1];
  const v6 = m[2]?.toLowerCase();
  const ip = v4 !== undefined ? (isIpv4(v4) ? v4 : null) : v6 && /^[0-9a-f:.]{2,45}$/.test(v6) ? v6 : null;
  return { ip, port: port(m[3]) };
}

/** The handshake error as OpenSSL or stunnel worded it (fixed texts, never the peer's bytes). */
function handshakeError(detail: string): string {
  const openssl = OPENSSL_REASON_RE.exec(detail);
  if (openssl) return openssl[1] ?? 'handshake failed';
  if (/^Peer suddenly disconnected$/.test(detail)) return 'peer disconnected';
  if (/^Connection reset by peer/.test(detail)) return 'connection reset by peer';
  return 'handshake failed';
}

export class StunnelParser implements DataplaneParser {
  readonly source = 'stunnel' as const;
  private readonly connections = new BoundedMap<string, Connection>();

  parse(line: string): DataplaneFact[] {
    if (typeof line !== 'string' || line.length > MAX_LINE_CHARS) return [];
    const m = LINE_RE.exec(line);
    if (!m) return [];
    const time = lineTime(m.slice(1, 7));
    const id = m[7] ?? '';
    const message = m[8] ?? '';
    if (!/^[0-9]+$/.test(id)) {
      if (STARTED_RE.test(message)) this.connections.clear();
      return [];
    }
    const accepted = ACCEPTED_RE.exec(message);
    if (accepted) {
      const from = peer(accepted);
      this.connections.set(id, { ...from, since: time, session: null, certificate: null, done: false });
      return [];
    }
    const c = this.connections.get(id);
    if (!c) return []; // its start is before the cursor: nothing reliable to say about it
    return this.onMessage(id, c, message, time);
  }

  flush(): DataplaneFact[] {
    return [];
  }

  private onMessage(id: string, c: Connection, message: string, time: LineTime | null): DataplaneFact[] {
    const cert = CERT_OK_RE.exec(message);
    if (cert) {
      c.session = cert[1] ?? null;
      return [];
    }
    const pre = PREVERIFY_RE.exec(message);
    if (pre) {
      c.certificate = `client certificate: ${pre[1]}`;
      return [];
    }
    const rejected = REJECTED_RE.exec(message);
    if (rejected) {
      c.certificate ??= `client certificate rejected (${rejected[1]}, depth ${rejected[2]})`;
      return [];
    }
    const failed = SSL_ACCEPT_RE.exec(message);
    if (failed) return this.failure(c, handshakeError(failed[1] ?? ''), time);
    const connected = CONNECTED_RE.exec(message);
    if (connected) return this.success(c, time, peer(connected).port, null);
    if (REMOTE_FAILED_RE.test(message))
      return this.success(c, time, null, 'TLS done but OpenVPN unreachable');
    const closed = CLOSED_RE.exec(message);
    if (closed) {
      this.connections.delete(id);
      return this.failure(c, 'closed before the handshake completed', time);
    }
    return [];
  }

  private success(c: Connection, time: LineTime | null, relayPort: number | null, note: string | null) {
    if (c.done) return [];
    c.done = true;
    return [
      fact('stunnel', 'tls.handshake', 'success', {
        srcIp: c.ip,
        srcPort: c.port,
        proto: FRONT_DOOR_TLS,
        sessionWireId: c.session,
        relayPort,
        durationMs: elapsedMs(c.since, time),
        reason: note,
        at: time?.at ?? null,
      }),
    ];
  }

  private failure(c: Connection, error: string, time: LineTime | null): DataplaneFact[] {
    if (c.done) return [];
    c.done = true;
    const why = c.certificate ? `${error}; ${c.certificate}` : error;
    return [
      fact('stunnel', 'tls.handshake', 'failure', {
        srcIp: c.ip,
        srcPort: c.port,
        durationMs: elapsedMs(c.since, time),
        reason: reasonText(`TLS handshake failed: ${why}`),
        at: time?.at ?? null,
      }),
    ];
  }
}
