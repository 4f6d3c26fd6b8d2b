// OpenVPN 2.6 server config (docs/architecture.md#openvpn-server-config, adapted): it listens on loopback
// only, behind stunnel, accepts only per-session client certificates (CN `s-<32hex>`) that the
// backend authorized explicitly with a client-config-dir entry, and is driven by viworks-gw over a
// unix management socket.
import type { GatewaySettings } from '../../core/gateway/control.js';
import { DISCONNECT_HOOK_TAG } from '../../core/gateway/dataplane/openvpn.js';
import { type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkIpv4, checkSettings, configError, parseCidr, renderLines } from './values.js';

/** Prefix of every session certificate's CN (core/gateway/control.ts SESSION_WIRE_ID). */
export const SESSION_CN_PREFIX = 's-';

function serverLine(vpnNetwork: string): string {
  const net = parseCidr('vpn_network', vpnNetwork);
  // OpenVPN's `server` helper needs room for itself and at least one client, and refuses pools wider
  // than a /8 is ever sensible for one gateway.
  if (net.prefix < 8 || net.prefix > 29) throw configError('vpn_network', 'prefix must be /8 to /29');
  // nopool: OpenVPN hands out no address of its own. viworks-gw pins each session's address in its
  // CCD (ifconfig-push, gateway/verbs/session-address.ts) and installs that address's forwarding
  // rules before the CCD exists, so an address always names one known session.
  return `server ${net.network} ${net.mask} nopool`;
}

/** OpenVPN refuses a config line longer than this (options.c OPTION_LINE_SIZE). */
export const OPENVPN_MAX_LINE = 256;

/**
 * The client-disconnect hook: OpenVPN logs no byte counts or duration when a client goes, so it runs
 * /bin/sh to print one line with them (and the client's address, relay port and CN) to its stdout,
 * which --log-append has made the log file: the data-plane parser reads it from there
 * (core/gateway/dataplane/openvpn.ts). The values come from OpenVPN's environment, each printed by
 * `%s` (never as format or shell text); the CN is cut at its first character outside [a-z0-9-] (so
 * not even a newline gets through) and goes last. OpenVPN ignores its exit status; nothing else runs.
 */
export function disconnectHookLine(): string {
  const values = [
    '$time_unix',
    '$time_duration',
    '$bytes_received',
    '$bytes_sent',
    '$ifconfig_pool_remote_ip',
    '$trusted_port',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    '${common_name%%[!a-z0-9-]*}',
  ];
  const format = `${DISCONNECT_HOOK_TAG}${' %s'.repeat(values.length)}\\n`;
  const script = `printf "${format}" ${values.map((v) => `"${v}"`).join(' ')}`;
  // Two parsers read it: the config line's (double quotes, backslash escapes), then the command's
  // (argv_parse_cmd: the single-quoted script is one argument, taken verbatim).
  const command = `/bin/sh -c '${script}'`;
  const line = `client-disconnect "${command.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (line.length > OPENVPN_MAX_LINE) throw new Error('client-disconnect line too long for OpenVPN');
  return line;
}

function pushLines(s: GatewaySettings): string[] {
  const routes = s.push_routes.map((cidr, i) => {
    const r = parseCidr(`push_routes[${i}]`, cidr);
    return `push "route ${r.network} ${r.mask}"`;
  });
  const dns = s.push_dns.map((ip, i) => `push "dhcp-option DNS ${checkIpv4(`push_dns[${i}]`, ip)}"`);
  return [...(s.redirect_gateway ? ['push "redirect-gateway def1"'] : []), ...routes, ...dns];
}

export function renderOpenVpnServerConf(settings: GatewaySettings, facts: NodeFacts): string {
  const s = checkSettings(settings);
  const f = validateNodeFacts(facts);
  const p = f.paths;
  const user = f.openvpnUser ? [`user ${f.openvpnUser.user}`, `group ${f.openvpnUser.group}`] : [];
  return renderLines([
    '# Reached only through stunnel (TLS 1.3, client certificate) on loopback. TCP: no',
    '# explicit-exit-notify (UDP only).',
    `port ${f.openvpnPort}`,
    'local 127.0.0.1',
    'proto tcp-server',
    'dev tun',
    'topology subnet',
    serverLine(s.vpn_network),
    `ca ${p.openvpnCa}`,
    `cert ${p.openvpnCert}`,
    `key ${p.openvpnKey}`,
    `tls-crypt ${p.tlsCryptKey}`,
    'dh none',
    'data-ciphers AES-256-GCM:AES-128-GCM',
    'auth SHA256',
    'tls-version-min 1.2',
    'remote-cert-tls client',
    '# Only per-session certificates, only those the backend authorized (a ccd entry), none revoked.',
    `verify-x509-name ${SESSION_CN_PREFIX} name-prefix`,
    `crl-verify ${p.crl}`,
    `client-config-dir ${p.ccdDir}`,
    'ccd-exclusive',
    '# OpenVPN configures the tun device itself (netlink). The one script: a line with bytes and',
    '# duration per disconnect for the data-plane audit events (viworks-gw pull_logs openvpn).',
    'script-security 2',
    disconnectHookLine(),
    `management ${p.openvpnMgmtSocket} unix`,
    `writepid ${p.openvpnPid}`,
    `status ${p.openvpnStatus} 5`,
    `log-append ${p.openvpnLog}`,
    'verb 3',
    'keepalive 10 60',
    'persist-key',
    'persist-tun',
    ...user,
    ...pushLines(s),
  ]);
}
