// OpenVPN 2.6's log (`log-append`, verb 3; timestamps unless --suppress-timestamps, as under
// systemd) → tunnel facts. OpenVPN listens on loopback behind stunnel, so every client appears as
// 127.0.0.1:<relay port>; the ingest ties that port back to the TLS peer stunnel saw.
//   … 127.0.0.1:58368 TLS: Initial packet from [AF_INET]127.0.0.1:58368, sid=…          (a client starts)
//   … s-<32 hex>/127.0.0.1:58368 MULTI: primary virtual IP for s-<32 hex>/127.0.0.1:58368: 10.8.0.2
//                                                                                      (ovpn.connect)
//   … 127.0.0.1:45104 TLS Error: tls-crypt unwrapping failed from [AF_INET]127.0.0.1:45104
//   … 127.0.0.1:45104 SIGUSR1[soft,tls-error] received, client-instance restarting     (ovpn.handshake_failed)
// OpenVPN logs no byte counts at a disconnect: the rendered config runs a client-disconnect hook
// (openvpn-server-conf.ts) that prints one line into this same log, without a timestamp:
//   viworks-ovpn-disconnect <time_unix> <time_duration> <bytes_received> <bytes_sent> <virtual ip> <relay port> <common name>
// What the peer controls: its certificate (CN verified by our CA and verify-x509-name before the
// `CN/` prefix appears) and its peer-info strings, which OpenVPN prints after a fixed prefix and which
// are never read. Every pattern is anchored at the start of the line's message, so a value inside a
// message can never pose as another message.
import { BoundedMap, count, isIpv4, lineTime, MAX_LINE_CHARS, port, reasonText } from './text.js';
import { type DataplaneFact, type DataplaneParser, fact } from './types.js';

/** First word of the line the client-disconnect hook prints (openvpn-server-conf.ts renders it). */
export const DISCONNECT_HOOK_TAG = 'viworks-ovpn-disconnect';

const SESSION = 's-[0-9a-f]{32}';
const IP = '([0-9]{1,3}(?:\\.[0-9]{1,3}){3})';
const TIME_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) (.*)$/;
const HOOK_RE = new RegExp(
  `^${DISCONNECT_HOOK_TAG} ([0-9]{1,12}) ([0-9]{1,10}) ([0-9]{1,15}) ([0-9]{1,15}) ([0-9.]{0,15}) ([0-9]{0,5}) (.{0,256})$`,
);
const PEER_RE = new RegExp(`^(?:([^\\s/]{1,64})/)?${IP}:([0-9]{1,5}) (.*)$`);
const START_RE = new RegExp(`^TCP connection established with \\[AF_INET\\]${IP}:([0-9]{1,5})$`);
const CONNECTED_RE = new RegExp(`^MULTI: primary virtual IP for (${SESSION})/${IP}:([0-9]{1,5}): ${IP}$`);
const VERIFIED_RE = new RegExp(`^VERIFY OK: depth=0, CN=(${SESSION})(?:, |$)`);
const ENDED_RE =
  /^(Connection reset, restarting|SIGUSR1\[soft,[a-z-]{0,32}\] received, client-instance restarting|SIGTERM\[[a-z,-]{0,32}\] received, client-instance exiting|client-instance exiting|Fatal TLS error)/;
/** OpenVPN itself starts or stops: every client it had is gone. */
const SERVER_RE =
  /^(Initialization Sequence Completed|SIGTERM\[hard,[a-z-]{0,32}\] received, process exiting)$/;

/** Why a client did not get a tunnel, in OpenVPN's and OpenSSL's fixed words. */
const FAILURES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [
    /^TLS Auth Error: --client-config-dir authentication failed/,
    () => 'not authorized on this gateway (no CCD entry)',
  ],
  [/^TLS Auth Error: /, () => 'client authentication failed'],
  [
    /^(tls-crypt unwrap error|TLS Error: tls-crypt unwrapping failed)/,
    () => 'tls-crypt authentication failed (wrong key, or not OpenVPN)',
  ],
  [/^WARNING: Bad encapsulated packet length/, () => 'not OpenVPN traffic (bad packet length)'],
  [
    /^VERIFY ERROR: depth=([0-9]{1,2}), error=([a-z0-9 ]{1,80}):/,
    (m) => `certificate: ${m[2]} (depth ${m[1]})`,
  ],
  [/^VERIFY X509NAME ERROR/, () => 'certificate name not allowed'],
  [/^VERIFY (KU|EKU) ERROR/, (m) => `certificate ${m[1]} not allowed`],
  [
    /^TLS Error: TLS key negotiation failed to occur within ([0-9]{1,5}) seconds/,
    (m) => `TLS key negotiation timed out (${m[1]} s)`,
  ],
  [/^OpenSSL: error:[0-9A-F]{8}:[A-Za-z0-9 ]{1,40} routines::([a-z0-9 ]{1,80})/, (m) => `TLS: ${m[1]}`],
  [/^TLS Error: TLS handshake failed$/, () => 'TLS handshake failed'],
  [/^(TLS Error|TLS_ERROR): /, () => 'TLS error'],
];

interface Client {
  readonly ip: string;
  readonly port: number;
  session: string | null;
  reason: string | null;
  connected: boolean;
  reported: boolean;
}

const timeOf = (unix: number): string | null =>
  unix > 0 && unix < 2 ** 40 ? new Date(unix * 1000).toISOString().slice(0, 19) : null;

export class OpenVpnParser implements DataplaneParser {
  readonly source = 'openvpn' as const;
  private readonly clients = new BoundedMap<string, Client>();

  parse(line: string): DataplaneFact[] {
    if (typeof line !== 'string' || line.length > MAX_LINE_CHARS) return [];
    const hook = HOOK_RE.exec(line);
    if (hook) return this.onDisconnect(hook);
    const stamped = TIME_RE.exec(line);
    const time = stamped ? lineTime(stamped.slice(1, 7)) : null;
    const message = stamped ? (stamped[7] ?? '') : line;
    const start = START_RE.exec(message);
    if (start) {
      this.begin(start[1] ?? '', port(start[2]));
      return [];
    }
    if (SERVER_RE.test(message)) {
      this.clients.clear();
      return [];
    }
    const peer = PEER_RE.exec(message);
    if (!peer) return [];
    const key = `${peer[2]}:${peer[3]}`;
    const text = peer[4] ?? '';
    // A client whose first line the cursor missed is not followed: its outcome would be a guess.
    if (/^TLS: Initial packet from /.test(text) && !this.clients.get(key))
      this.begin(peer[2] ?? '', port(peer[3]));
    const c = this.clients.get(key);
    if (!c) return [];
    return this.onClient(key, c, text, time?.at ?? null);
  }

  flush(): DataplaneFact[] {
    return [];
  }

  private begin(ip: string, p: number | null): void {
    if (!isIpv4(ip) || p === null) return;
    this.clients.set(`${ip}:${p}`, {
      ip,
      port: p,
      session: null,
      reason: null,
      connected: false,
      reported: false,
    });
  }

  private onClient(key: string, c: Client, text: string, at: string | null): DataplaneFact[] {
    const verified = VERIFIED_RE.exec(text);
    if (verified) {
      c.session = verified[1] ?? null;
      return [];
    }
    const connected = CONNECTED_RE.exec(text);
    if (connected && `${connected[2]}:${connected[3]}` === key && isIpv4(connected[4] ?? '')) {
      c.connected = true;
      return [
        fact('openvpn', 'ovpn.connect', 'success', {
          srcIp: c.ip,
          srcPort: c.port,
          relayPort: c.port,
          sessionWireId: connected[1] ?? null,
          virtualIp: connected[4] ?? null,
          at,
        }),
      ];
    }
    if (ENDED_RE.test(text)) return this.onEnded(key, c, at);
    if (c.reason === null) {
      for (const [re, say] of FAILURES) {
        const m = re.exec(text);
        if (m) {
          c.reason = say(m);
          break;
        }
      }
    }
    return [];
  }

  private onEnded(key: string, c: Client, at: string | null): DataplaneFact[] {
    // The first end line settles it ("Fatal TLS error" is followed by its SIGUSR1 line, then unknown).
    this.clients.delete(key);
    if (c.connected || c.reported) return [];
    c.reported = true;
    return [
      fact('openvpn', 'ovpn.handshake_failed', 'failure', {
        srcIp: c.ip,
        srcPort: c.port,
        relayPort: c.port,
        sessionWireId: c.session,
        reason: reasonText(c.reason ?? 'connection closed before the tunnel was up'),
        at,
      }),
    ];
  }

  private onDisconnect(m: RegExpExecArray): DataplaneFact[] {
    const [, since, duration, received, sent, vip, relay, cn] = m;
    const seconds = count(duration);
    const started = count(since);
    return [
      fact('openvpn', 'ovpn.disconnect', 'success', {
        relayPort: port(relay),
        srcIp: null,
        virtualIp: vip && isIpv4(vip) ? vip : null,
        sessionWireId: cn && new RegExp(`^${SESSION}$`).test(cn) ? cn : null,
        bytesIn: count(received),
        bytesOut: count(sent),
        durationMs: seconds === null ? null : seconds * 1000,
        at: started === null || seconds === null ? null : timeOf(started + seconds),
      }),
    ];
  }
}
