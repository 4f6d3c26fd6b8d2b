// OpenVPN 2.6's log, line by line: what may be shown (sanitizeLogLine) and what it means
// (classifyLogLine). Pure. Line shapes were taken from OpenVPN 2.6.14 (OpenSSL 3) at verb 3; every
// pattern here is matched against the line with OpenVPN's own timestamp already removed.

/** Why OpenVPN did not come up, or went down. Stable strings: the engine decides retries on them. */
export const OPENVPN_FAILURE_REASONS = [
  /** The binary is missing, not absolute, or writable by someone other than root. */
  'binary_invalid',
  /** The process could not be started. */
  'spawn_failed',
  /** "Options error" or an inline block OpenVPN could not parse: a bug or a bad payload. */
  'config_rejected',
  /** The tun device could not be opened (no privilege, no /dev/net/tun). */
  'tun_unavailable',
  /** The TCP connection to the remote (the TLS proxy) failed. */
  'connection_failed',
  /**
   * The connection was reset during the TLS handshake, after our side had accepted the server:
   * the server refused our certificate (OpenVPN over TCP shows nothing more specific), or the
   * path broke at that moment.
   */
  'handshake_rejected',
  /** The server's certificate failed our checks (chain, EKU, name): never retry. */
  'server_cert_invalid',
  /** Other TLS failures, including the handshake window passing. */
  'tls_failed',
  /** The server sent AUTH_FAILED. */
  'auth_failed',
  /** "Initialization Sequence Completed With Errors" (e.g. a route failed): fail closed. */
  'init_errors',
  /** The tunnel was up and then the connection went away (reset, ping timeout). */
  'connection_lost',
  /** Not ready within readyTimeoutMs. */
  'ready_timeout',
  /** Exited without a recognised cause. */
  'exited',
  /** stop() was called (or the caller aborted). */
  'stopped',
] as const;
export type OpenVpnFailureReason = (typeof OPENVPN_FAILURE_REASONS)[number];

/** Whether another attempt with the same configuration can reasonably succeed. */
export const RETRYABLE: Readonly<Record<OpenVpnFailureReason, boolean>> = {
  binary_invalid: false,
  spawn_failed: false,
  config_rejected: false,
  tun_unavailable: false,
  connection_failed: true,
  // A refused certificate fails again; a broken path may not. Engines cap attempts anyway.
  handshake_rejected: true,
  server_cert_invalid: false,
  tls_failed: true,
  auth_failed: false,
  init_errors: false,
  connection_lost: true,
  ready_timeout: true,
  exited: true,
  stopped: false,
};

const MAX_LINE = 1024;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /;

/**
 * The line as it may be shown anywhere (daemon log, onLog), or undefined when it must be dropped.
 * OpenVPN at verb 3 prints no key material; this is a second fence: any line that carries a PEM
 * marker, an inline tag, or a long run that looks like key bytes (hex with letters, base64 with
 * letters) is dropped whole, auth tokens are redacted, control characters removed, length capped.
 */
export function sanitizeLogLine(raw: string): string | undefined {
  let line = raw.replace(TIMESTAMP_RE, '').replace(/[^\x20-\x7e]/g, '');
  if (line.trim().length === 0) return undefined;
  if (/-----(BEGIN|END)|PRIVATE KEY|Static key|<\/?[a-z0-9-]+>/i.test(line)) return undefined;
  // Runs of 32+ hex digits with letters (a tls-crypt line) or 40+ base64 characters mixing upper,
  // lower case and digits (a PEM body line). Decimal serial numbers ("serial=6049…") are neither.
  for (const run of line.match(/[0-9A-Fa-f]{32,}/g) ?? []) {
    if (/[A-Fa-f]/.test(run)) return undefined;
  }
  for (const run of line.match(/[A-Za-z0-9+/=]{40,}/g) ?? []) {
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) return undefined;
  }
  line = line.replace(/(auth-token(?:-user)?|password)([ =:]+)[^,\s']+/gi, '$1$2[redacted]');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

/** Something a log line tells the runner. */
export type LogEvent =
  | { readonly kind: 'tun_opened'; readonly device: string }
  | { readonly kind: 'address'; readonly ip: string; readonly prefix: number; readonly device: string }
  | { readonly kind: 'push_reply'; readonly options: readonly string[] }
  | { readonly kind: 'filtered'; readonly option: string }
  | { readonly kind: 'server_verified' }
  | { readonly kind: 'peer_connected' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'cause'; readonly reason: OpenVpnFailureReason }
  /** "SIGTERM[soft,connection-reset] received, process exiting" and friends. */
  | { readonly kind: 'signal'; readonly signal: string; readonly soft: boolean; readonly why: string };

const IPV4 = '(\\d{1,3}(?:\\.\\d{1,3}){3})';
const DEV = '([A-Za-z0-9_.-]{1,15})';
const RULES: ReadonlyArray<readonly [RegExp, (m: RegExpMatchArray) => LogEvent]> = [
  [/^Initialization Sequence Completed With Errors/, () => ({ kind: 'cause', reason: 'init_errors' })],
  [/^Initialization Sequence Completed$/, () => ({ kind: 'ready' })],
  [new RegExp(`^TUN/TAP device ${DEV} opened`), (m) => ({ kind: 'tun_opened', device: m[1]! })],
  [
    new RegExp(`^net_addr_v4_add: ${IPV4}/(\\d{1,2}) dev ${DEV}`),
    (m) => ({ kind: 'address', ip: m[1]!, prefix: Number(m[2]), device: m[3]! }),
  ],
  [
    /^PUSH: Received control message: 'PUSH_REPLY,(.*)'$/,
    (m) => ({ kind: 'push_reply', options: m[1]!.split(',') }),
  ],
  [/^Pushed option removed by filter: '(.*)'$/, (m) => ({ kind: 'filtered', option: m[1]! })],
  [/^VERIFY OK: depth=0,/, () => ({ kind: 'server_verified' })],
  [/Peer Connection Initiated with/, () => ({ kind: 'peer_connected' })],
  [/AUTH_FAILED/, () => ({ kind: 'cause', reason: 'auth_failed' })],
  [
    /^VERIFY (?:\S+ )?ERROR|certificate verify failed/,
    () => ({ kind: 'cause', reason: 'server_cert_invalid' }),
  ],
  [
    /^Options error|^ERROR: Endtag|Cannot load (?:inline )?(?:certificate|private key|CA)/,
    () => ({ kind: 'cause', reason: 'config_rejected' }),
  ],
  [
    /Cannot open TUN\/TAP dev|ERROR: Cannot ioctl TUNSETIFF|Cannot allocate TUN\/TAP dev/,
    () => ({ kind: 'cause', reason: 'tun_unavailable' }),
  ],
  [
    /^TCP: connect to .* failed|All connections have been connect-retry-max/,
    () => ({ kind: 'cause', reason: 'connection_failed' }),
  ],
  [
    /^TLS Error: TLS key negotiation failed|^TLS Error: TLS handshake failed|^TLS Error: tls-crypt unwrapping failed/,
    () => ({ kind: 'cause', reason: 'tls_failed' }),
  ],
  [
    /^(SIG[A-Z0-9]+)\[(soft|hard),([^\]]*)\] received/,
    (m) => ({ kind: 'signal', signal: m[1]!, soft: m[2] === 'soft', why: m[3]! }),
  ],
];

/** What a (timestamp-free, sanitized or raw) line means to the runner, if anything. */
export function classifyLogLine(line: string): LogEvent | undefined {
  const text = line.replace(TIMESTAMP_RE, '');
  for (const [re, make] of RULES) {
    const m = text.match(re);
    if (m) return make(m);
  }
  return undefined;
}

/** Pushed options the daemon reports: redirect-gateway and DNS servers (both ignored by pull-filter). */
export function summarizePush(options: readonly string[]): { redirectGateway: boolean; dns: string[] } {
  return {
    redirectGateway: options.some((o) => o.startsWith('redirect-gateway')),
    dns: options
      .map((o) => o.match(/^dhcp-option DNS (\S+)$/)?.[1])
      .filter((a): a is string => a !== undefined),
  };
}

/**
 * The reason for a soft exit ("SIGTERM[soft,<why>]", remapped from SIGUSR1 by remap-usr1) given
 * what was seen before it: the phase matters (a reset before the server was verified, during the
 * handshake, or once the tunnel was up mean different things).
 */
export function softExitReason(
  why: string,
  phase: { serverVerified: boolean; peerConnected: boolean; ready: boolean },
): OpenVpnFailureReason {
  if (why === 'auth-failure') return 'auth_failed';
  if (why === 'connection-failed' || why === 'init_instance') return 'connection_failed';
  if (phase.ready) return 'connection_lost';
  if (why === 'tls-error') return 'tls_failed';
  if (why === 'connection-reset' || why === 'ping-restart') {
    if (phase.serverVerified && !phase.peerConnected) return 'handshake_rejected';
    return phase.peerConnected ? 'connection_lost' : 'connection_failed';
  }
  return 'exited';
}
