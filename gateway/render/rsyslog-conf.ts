// rsyslogd.conf for the node's SIEM forwarder (pki-siem §4.4 primary path): a node-owned rsyslogd
// instance — its own config, pid file and work directory under the state dir, no imuxsock/imklog, never
// the system's /etc/rsyslog.conf — that reads viworks-gw's audit log and the daemons' log files with
// imfile and sends them to the SIEM over TLS 1.3 with mutual authentication, RFC 5425 octet-counted
// framing and RFC 5424 messages, through a disk-assisted queue that holds everything while the SIEM is
// unreachable. Beside the raw daemon lines it ships the node's own normalized data-plane events
// (gateway/observe: one audit-schema JSON line per SPA decision, TLS handshake, OpenVPN step).
//
// Needs rsyslog >= 8.2108 (per-action StreamDriver.CAFile/CertFile/KeyFile) with rsyslog-gnutls;
// Debian 12 ships 8.2302. Other parameters and the version that brought them: gnutlsPriorityString
// 8.29, fileNotFoundError 8.27, freshStartTail 8.18, reopenOnTruncate 8.16 (still "experimental"),
// addMetadata 8.7, StreamDriver.CheckExtendedKeyPurpose/PrioritizeSAN 8.1910. action.resumeIntervalMax
// is parsed but ignored before 8.2308 (a name-comparison bug), so on 8.2302 the retry interval grows
// by resumeInterval every 10 failed retries up to rsyslog's 30 min ceiling.
//
// Measured limit of rsyslog 8.2302: lines queued while the SIEM is unreachable survive a SIEM outage
// and a clean rsyslogd stop, but the one batch the suspended action holds at the moment rsyslogd is
// stopped can be lost, and lines can arrive twice after such a restart. So the node restarts the
// forwarder only when its inputs change; audit lines carry `seq`, so gaps and duplicates both show.
//
// Every value is checked against a grammar with no RainerScript meaning (no quote, backslash,
// whitespace, `#`, `$`, `%`, `*`): a setting cannot end its string and add a statement.
import { GatewaySiemSettings } from '../../core/gateway/control.js';
import { strictValidator } from '../../core/schema/strict.js';
import { helloLogIn } from '../front-door/paths.js';
import { observerPaths } from '../observe/observer-paths.js';
import { viewerAccessLogIn } from './nginx-conf.js';
import {
  type ForwarderPaths,
  forwarderPaths,
  fwknopdLogIn,
  type NodeFacts,
  validateNodeFacts,
} from './node-facts.js';
import { checkPath, checkPort, configError, renderLines } from './values.js';

/** The app-name each source carries on the wire (RFC 5424 APP-NAME), as the SIEM filters on it. */
export const SIEM_APP_NAMES = {
  audit: 'viworks-gw',
  fwknopd: 'fwknopd',
  stunnel: 'stunnel',
  openvpn: 'openvpn',
  /** The data-plane events the node normalized itself (gateway/observe). */
  dataplane: 'viworks-dataplane',
  /** The front door's ClientHello fingerprints, one JSON line per connection (gateway/front-door). */
  hello: 'viworks-hello',
  /** The isolated browsers' viewer (nginx): one JSON line per request, the session, never the path. */
  viewer: 'viworks-viewer',
} as const;
/** Seconds between reconnection attempts to an unreachable SIEM (rsyslog lengthens it over time). */
export const SIEM_RESUME_INTERVAL_S = 5;
const TEMPLATE = 'viworks_rfc5424';
const RULESET = 'viworks_siem';
/** RFC 5424 with no trailing LF: with octet-counted framing the length prefix delimits the message. */
const RFC5424 =
  '<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%';
/** TLS 1.3 only (GnuTLS priority string); every 1.3 suite is an AEAD one. */
const TLS13_ONLY = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

/** What only the node's own configuration knows: where its state and audit log live. */
export interface ForwarderLocal {
  readonly stateDir: string;
  readonly auditLog: string;
}

const siemSettings = strictValidator(GatewaySiemSettings);
// Inside a RainerScript "…" string these characters have no meaning.
const HOST_RE = /^[A-Za-z0-9.:-]{1,253}$/;
const NAME_RE = /^[A-Za-z0-9.-]{1,253}$/;

function checkSiem(siem: GatewaySiemSettings): GatewaySiemSettings {
  const s = siemSettings.parse(siem, 'VIW_E_CONFIG');
  if (!HOST_RE.test(s.host)) throw configError('siem.host', 'not a host name or address');
  if (!NAME_RE.test(s.server_name)) throw configError('siem.server_name', 'not a DNS name');
  checkPort('siem.port', s.port);
  return s;
}

interface LogInput {
  readonly file: string;
  readonly tag: string;
  readonly facility: string;
  readonly severity: string;
  /** Read a file met for the first time from its start (audit, events) or only what comes next. */
  readonly fromStart: boolean;
}

function inputLines(i: LogInput): string[] {
  return [
    `input(type="imfile" File="${i.file}" Tag="${i.tag}" ruleset="${RULESET}"`,
    `  Facility="${i.facility}" Severity="${i.severity}"`,
    `  freshStartTail="${i.fromStart ? 'off' : 'on'}" reopenOnTruncate="on" addMetadata="off"`,
    '  fileNotFoundError="off")',
  ];
}

function forwardAction(s: GatewaySiemSettings, p: ForwarderPaths): string[] {
  return [
    `  action(type="omfwd" name="${RULESET}"`,
    `    target="${s.host}" port="${s.port}" protocol="tcp"`,
    `    TCP_Framing="octet-counted" template="${TEMPLATE}"`,
    '    StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"',
    `    StreamDriverPermittedPeers="${s.server_name}"`,
    '    StreamDriver.CheckExtendedKeyPurpose="on" StreamDriver.PrioritizeSAN="on"',
    `    StreamDriver.CAFile="${p.caFile}"`,
    `    StreamDriver.CertFile="${p.certFile}"`,
    `    StreamDriver.KeyFile="${p.keyFile}"`,
    `    gnutlsPriorityString="${TLS13_ONLY}"`,
    '    # Disk-assisted: memory first, spilled to disk under load and saved there at shutdown.',
    `    queue.type="LinkedList" queue.filename="${RULESET}" queue.spoolDirectory="${p.workDir}"`,
    `    queue.maxDiskSpace="${s.queue_max_bytes}" queue.saveOnShutdown="on"`,
    '    # Retry for ever: an unreachable SIEM suspends the action, it never drops a message.',
    `    action.resumeRetryCount="-1" action.resumeInterval="${SIEM_RESUME_INTERVAL_S}"`,
    '    action.resumeIntervalMax="300")',
  ];
}

/**
 * Renders the forwarder's rsyslogd.conf. `siem` comes from the backend (validated again here);
 * `facts` and `local` from the node's gw.json.
 */
export function renderRsyslogConf(
  siem: GatewaySiemSettings,
  facts: NodeFacts,
  local: ForwarderLocal,
): string {
  const s = checkSiem(siem);
  const f = validateNodeFacts(facts);
  const p = forwarderPaths(local.stateDir);
  const audit = checkPath('audit_log', local.auditLog);
  const daemon = (file: string, tag: string): LogInput => ({
    file,
    tag,
    facility: 'daemon',
    severity: 'info',
    fromStart: false,
  });
  const inputs: LogInput[] = [
    // The whole audit trail reaches the SIEM, lines written before the forwarder first ran included.
    { file: audit, tag: SIEM_APP_NAMES.audit, facility: 'authpriv', severity: 'notice', fromStart: true },
    daemon(fwknopdLogIn(local.stateDir), SIEM_APP_NAMES.fwknopd),
    daemon(f.paths.stunnelLog, SIEM_APP_NAMES.stunnel),
    daemon(f.paths.openvpnLog, SIEM_APP_NAMES.openvpn),
    daemon(helloLogIn(local.stateDir), SIEM_APP_NAMES.hello),
    daemon(viewerAccessLogIn(local.stateDir), SIEM_APP_NAMES.viewer),
    // Written by the normalizer, which starts with the forwarder: every line of it, from its start.
    {
      file: observerPaths(local.stateDir).out,
      tag: SIEM_APP_NAMES.dataplane,
      facility: 'authpriv',
      severity: 'notice',
      fromStart: true,
    },
  ];
  return renderLines([
    "# The node-owned rsyslogd that ships this node's logs to the SIEM; not the system's syslog:",
    '# it loads no imuxsock/imklog and reads only the files below.',
    'global(',
    `  workDirectory="${p.workDir}"`,
    '  # Its own messages (connection failures, suspensions) go to the default ruleset below.',
    '  processInternalMessages="on"',
    '  maxMessageSize="64k"',
    ')',
    '# Read positions persist in workDirectory (imfile-state:*), written when rsyslogd stops: a restart',
    '# resumes where it left off; after a crash lines since the last clean stop are sent again',
    '# (duplicates, never gaps — audit lines carry their seq).',
    'module(load="imfile" mode="inotify")',
    `template(name="${TEMPLATE}" type="string" string="${RFC5424}")`,
    '',
    `ruleset(name="${RULESET}") {`,
    ...forwardAction(s, p),
    '}',
    '',
    ...inputs.flatMap(inputLines),
    '',
    "# Default ruleset: rsyslogd's own messages, kept on the node.",
    `action(type="omfile" file="${p.ownLog}" fileCreateMode="0600")`,
  ]);
}
