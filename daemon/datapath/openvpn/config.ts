// The OpenVPN client configuration, rendered in memory from the bootstrap's `ovpn` object
// (docs/architecture.md#openvpn-client-config) and handed to OpenVPN on standard input only — never
// argv, environment or a file. Pure: no I/O, no clock. It is a Buffer, not a string: the tls-crypt
// key and the client key come in as the session's Buffers (core/bootstrap/opened.ts) and are
// copied into it, so the whole config can be wiped once OpenVPN has read it (runner.ts).
//
// Beyond that baseline, each directive below is chosen for the daemon's model (the engine
// owns retries; the bootstrap's policy is the authority, not what the gateway pushes):
//   remap-usr1 SIGTERM, connect-retry-max 1  OpenVPN never reconnects by itself: any soft restart
//        (connection reset, TLS error, ping-restart) ends the process and the engine decides,
//        because a reconnect needs a new SPA knock and a new proxy connection anyway.
//   script-security 0 (Linux)  2.6 configures tun, addresses and routes over netlink, so no external
//        program is ever needed; elsewhere 1 (built-ins such as route/netsh only).
//   allow-compression no  no compression (VORACLE), whatever is pushed.
//   remote-cert-tls server + verify-x509-name <prefix> name-prefix  the CA bundle holds the root too,
//        so without the name check any serverAuth certificate under the root (int-tls's gateway and
//        backend certificates) would be accepted as an OpenVPN server.
//   tls-version-min 1.3  the gateway is OpenVPN 2.6 on OpenSSL 3.
//   redirect_gateway true → `redirect-gateway def1 ipv6` + `block-ipv6`: IPv4 through the tunnel,
//        IPv6 answered "no route" on the tunnel (the gateway is IPv4-only), so neither family
//        leaves outside. With the loopback TLS proxy as remote, OpenVPN's automatic bypass route
//        would be for 127.0.0.1 (useless) while the proxy's own connection to the gateway would be
//        captured by def1 — a routing loop. So for a loopback remote the flag `local` drops that
//        bypass and each gateway address gets `route <ip> 255.255.255.255 net_gateway`. The
//        enrolled backend's addresses get the same /32 bypass: the daemon's own control traffic
//        (heartbeats, the revocation stream) keeps going direct over pinned HTTPS, and a revocation
//        still reaches the daemon when the tunnel is what is broken.
//   pull-filter  pushed redirect-gateway/redirect-private, DNS (`dhcp-option DNS`, `dns …`) and,
//        off Windows, block-outside-dns are ignored: the bootstrap decides them, rendered here.
// Not rendered: management interface (never), resolv-retry (the remote is an IP literal),
// explicit-exit-notify (UDP only; the TCP close tells the server), setenv (no scripts run).
import { isIP, isIPv4 } from 'node:net';
import type { BootstrapSecrets, PublicBootstrap } from '../../../core/bootstrap/opened.js';
import { OVPN_AUTH_DIGESTS, OVPN_DATA_CIPHERS } from '../../../core/bootstrap/payload.js';
import { pemBlock, staticKeyBlock } from '../../../core/bootstrap/secret-bytes.js';
import { secretBytes } from '../../../core/crypto/bytes.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export type OvpnPolicy = PublicBootstrap['ovpn'];
export type OvpnSecrets = Pick<BootstrapSecrets, 'tlsCryptKey' | 'clientKeyPem'>;

/** The CN prefix of every gateway's OpenVPN server certificate (server/pki/gateway-profile.ts: `ovpn-<name>`). */
export const GATEWAY_SERVER_CN_PREFIX = 'ovpn-';

/**
 * The tunnel interface's name: a fixed name (not `tun` → tun0, tun1…) so that the kill switch
 * (killswitch/ruleset.ts) admits exactly this interface and not another VPN's tun device.
 */
export const TUNNEL_INTERFACE = 'viworks0';

export interface RenderOptions {
  /** Where OpenVPN connects: the TLS proxy's loopback listener in production. An IP literal. */
  readonly remoteHost: string;
  readonly remotePort: number;
  /**
   * IPv4 addresses the TLS proxy dials (the gateway). Routed outside the tunnel through the
   * pre-existing default gateway; required when redirect_gateway is set and the remote is loopback.
   */
  readonly gatewayAddresses?: readonly string[];
  /** IPv4 addresses of the enrolled backend, also routed outside the tunnel (net_gateway /32). */
  readonly bypassAddresses?: readonly string[];
  /** `verify-x509-name … name-prefix` on the server's CN; null disables the check (tests only). */
  readonly serverCnPrefix?: string | null;
  /** The tun interface's name (default TUNNEL_INTERFACE); null: OpenVPN picks tunN (tests only). */
  readonly deviceName?: string | null;
  /** Selects Windows-only directives (block-outside-dns) and script-security; default: this OS. */
  readonly platform?: NodeJS.Platform;
}

// Inline blocks: printable ASCII and newlines only, never `<`/`>` (no tag can be closed or opened
// early), and the whole value must be the expected PEM structure, so no line outside the PEM body
// can reach OpenVPN's parser.
const PEM_BODY = '[A-Za-z0-9+/=]{1,76}\\n';
const pemBlocks = (label: string, many: boolean) =>
  new RegExp(`^(?:-----BEGIN ${label}-----\\n(?:${PEM_BODY})+-----END ${label}-----\\n)${many ? '+' : ''}$`);
const INLINE_RULES = {
  ca_inline: { tag: 'ca', max: 32768, re: pemBlocks('CERTIFICATE', true) },
  cert_inline: { tag: 'cert', max: 8192, re: pemBlocks('CERTIFICATE', false) },
} as const;
type InlineField = keyof typeof INLINE_RULES;

const invalid = (detail: string): ViworksError =>
  new ViworksError('VIW_E_BOOTSTRAP_INVALID', { details: [`/ovpn/${detail}`] });

/** Returns the block's content, newline-terminated, or throws naming the field (never the value). */
function inlineContent(field: InlineField, value: unknown): string {
  const rule = INLINE_RULES[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > rule.max) {
    throw invalid(`${field}: missing or too long`);
  }
  if (/[^\x20-\x7e\n]/.test(value) || /[<>]/.test(value)) {
    throw invalid(`${field}: characters not allowed in an inline block`);
  }
  const text = value.endsWith('\n') ? value : `${value}\n`;
  if (!rule.re.test(text)) throw invalid(`${field}: not the expected PEM structure`);
  return text;
}

function checkScalars(o: OvpnPolicy): void {
  if (o.proto !== 'tcp-client') throw invalid('proto: must be tcp-client');
  const ciphers: readonly string[] = OVPN_DATA_CIPHERS;
  if (!Array.isArray(o.data_ciphers) || o.data_ciphers.length === 0) throw invalid('data_ciphers: empty');
  if (
    !o.data_ciphers.every((c) => ciphers.includes(c)) ||
    new Set(o.data_ciphers).size !== o.data_ciphers.length
  )
    throw invalid('data_ciphers: not allowed');
  if (!ciphers.includes(o.cipher) || !o.data_ciphers.includes(o.cipher)) throw invalid('cipher: not allowed');
  if (!(OVPN_AUTH_DIGESTS as readonly string[]).includes(o.auth)) throw invalid('auth: not allowed');
  if (!Array.isArray(o.dns_push) || o.dns_push.length > 4 || !o.dns_push.every((a) => isIPv4(a)))
    throw invalid('dns_push: not IPv4 addresses');
  for (const flag of ['redirect_gateway', 'block_outside_dns'] as const) {
    if (typeof o[flag] !== 'boolean') throw invalid(`${flag}: not a boolean`);
  }
}

function checkOptions(opts: RenderOptions): {
  loopback: boolean;
  gateways: readonly string[];
  bypass: readonly string[];
} {
  if (isIP(opts.remoteHost) === 0) throw new RangeError('remoteHost must be an IP literal');
  if (!Number.isInteger(opts.remotePort) || opts.remotePort < 1 || opts.remotePort > 65535)
    throw new RangeError('remotePort out of range');
  const gateways = opts.gatewayAddresses ?? [];
  if (!gateways.every((a) => isIPv4(a))) throw new RangeError('gatewayAddresses must be IPv4 literals');
  // Deduplicated against the gateway's: OpenVPN would refuse to add the same route twice.
  const bypass = [...new Set(opts.bypassAddresses ?? [])].filter((a) => !gateways.includes(a));
  if (!bypass.every((a) => isIPv4(a) && !/^(127|0)\./.test(a)))
    throw new RangeError('bypassAddresses must be non-loopback IPv4 literals');
  const prefix = opts.serverCnPrefix;
  if (prefix !== undefined && prefix !== null && !/^[A-Za-z0-9._-]{1,32}$/.test(prefix))
    throw new RangeError('serverCnPrefix has characters not allowed');
  const dev = opts.deviceName;
  if (dev !== undefined && dev !== null && !/^[A-Za-z][A-Za-z0-9_-]{0,14}$/.test(dev))
    throw new RangeError('deviceName is not an interface name');
  const loopback = opts.remoteHost === '::1' || /^127\./.test(opts.remoteHost);
  return { loopback, gateways, bypass };
}

/**
 * The whole client configuration as OpenVPN reads it from standard input, as a new Buffer the
 * caller wipes once written. Throws VIW_E_BOOTSTRAP_INVALID (details name the field, never its
 * content) for a policy value that could break out of its place, and RangeError for a caller
 * mistake. The secrets are checked byte by byte and copied; the caller's Buffers are not changed.
 */
export function renderClientConfig(ovpn: OvpnPolicy, secrets: OvpnSecrets, opts: RenderOptions): Buffer {
  checkScalars(ovpn);
  const { loopback, gateways, bypass } = checkOptions(opts);
  const ca = inlineContent('ca_inline', ovpn.ca_inline);
  const cert = inlineContent('cert_inline', ovpn.cert_inline);
  const windows = (opts.platform ?? process.platform) === 'win32';
  const linux = (opts.platform ?? process.platform) === 'linux';
  const cnPrefix = opts.serverCnPrefix === undefined ? GATEWAY_SERVER_CN_PREFIX : opts.serverCnPrefix;
  if (ovpn.redirect_gateway && loopback && gateways.length === 0) {
    throw new RangeError('gatewayAddresses are required with redirect_gateway and a loopback remote');
  }

  const lines = [
    'client',
    ...(linux && opts.deviceName !== null
      ? [`dev ${opts.deviceName ?? TUNNEL_INTERFACE}`, 'dev-type tun']
      : ['dev tun']),
    'proto tcp-client',
    `remote ${opts.remoteHost} ${opts.remotePort}`,
    'nobind',
    'persist-key',
    'persist-tun',
    'remap-usr1 SIGTERM',
    'connect-retry-max 1',
    `script-security ${linux ? 0 : 1}`,
    'allow-compression no',
    `cipher ${ovpn.cipher}`,
    `data-ciphers ${ovpn.data_ciphers.join(':')}`,
    `auth ${ovpn.auth}`,
    'tls-version-min 1.3',
    'remote-cert-tls server',
    ...(cnPrefix === null ? [] : [`verify-x509-name ${cnPrefix} name-prefix`]),
    'verb 3',
    'pull-filter ignore "redirect-gateway"',
    'pull-filter ignore "redirect-private"',
    'pull-filter ignore "dhcp-option DNS"',
    'pull-filter ignore "dns "',
    ...(windows ? [] : ['pull-filter ignore "block-outside-dns"']),
    ...(ovpn.redirect_gateway ? [`redirect-gateway def1 ipv6${loopback ? ' local' : ''}`, 'block-ipv6'] : []),
    ...[...gateways, ...bypass].map((a) => `route ${a} 255.255.255.255 net_gateway`),
    ...ovpn.dns_push.map((a) => `dhcp-option DNS ${a}`),
    ...(windows && ovpn.block_outside_dns ? ['block-outside-dns'] : []),
  ];
  // The static key may carry `#` comment lines before it (dropped); both must be exactly one block.
  const tlsCrypt = staticKeyBlock(secrets.tlsCryptKey);
  const key = pemBlock(secrets.clientKeyPem, 'PRIVATE KEY');
  try {
    if (!tlsCrypt || tlsCrypt.length > 2048)
      throw invalid('tls_crypt_key_inline: not the expected structure');
    if (!key || key.length > 8192) throw invalid('key_inline: not the expected PEM structure');
    const parts = [
      Buffer.from(`${lines.join('\n')}\n<tls-crypt>\n`),
      tlsCrypt,
      Buffer.from(`</tls-crypt>\n<ca>\n${ca}</ca>\n<cert>\n${cert}</cert>\n<key>\n`),
      key,
      Buffer.from('</key>\n'),
    ];
    // Key material: a secret buffer (off the JS heap, its pages locked where the daemon can).
    const out = secretBytes(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  } finally {
    tlsCrypt?.fill(0);
    key?.fill(0);
  }
}
