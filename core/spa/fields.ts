// Validation and text forms of the individual SPA plaintext fields. The same rules serve the encoder
// (reject bad input before anything is built) and the decoder (reject anything fwknopd would not
// produce), so both sides agree on what a well-formed field is. Each check returns a boolean and the
// caller names the field in its error, so no value ever ends up in an error detail.
import {
  MAX_ACCESS_MSG_LEN,
  MAX_USERNAME_LEN,
  type SpaAccessPort,
  SpaMessageType,
  type SpaNatAccess,
  type SpaProto,
} from './packet.js';
import { spaInvalid } from './spa-error.js';

/** Characters libfko refuses in a username (Microsoft's list, since libfko also runs on Windows). */
const USERNAME_FORBIDDEN = new Set('"/\\[]:;|=,+*?<>');
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** Dotted quad without leading zeros, so `010.0.0.1` (octal in some parsers) is refused. */
const IPV4_RE = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PORT_RE = /^[1-9][0-9]{0,4}$/;
const MAX_SERVER_AUTH_LEN = 255;
/** A generous upper bound on the requested firewall timeout (seconds); real values are minutes. */
export const MAX_CLIENT_TIMEOUT = 8_388_608;

export function isPrintableAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

export function isValidUsername(u: string): boolean {
  if (u.length < 1 || u.length > MAX_USERNAME_LEN || !isPrintableAscii(u)) return false;
  for (const ch of u) if (USERNAME_FORBIDDEN.has(ch)) return false;
  return true;
}

export function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

export function isServerAuth(s: string): boolean {
  return s.length >= 1 && s.length <= MAX_SERVER_AUTH_LEN && isPrintableAscii(s);
}

export function isClientTimeout(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_CLIENT_TIMEOUT;
}

function parsePort(text: string): number | undefined {
  if (!PORT_RE.test(text)) return undefined;
  const n = Number(text);
  return isPort(n) ? n : undefined;
}

/** `IPv4,proto/port[,proto/port...]` — the access message before base64. */
export function formatAccessMessage(accessIp: string, ports: readonly SpaAccessPort[]): string {
  if (!isIpv4(accessIp)) throw spaInvalid('input.accessIp');
  if (ports.length === 0) throw spaInvalid('input.accessPorts');
  const seen = new Set<string>();
  for (const p of ports) {
    const key = `${p.proto}/${p.port}`;
    if ((p.proto !== 'tcp' && p.proto !== 'udp') || !isPort(p.port) || seen.has(key)) {
      throw spaInvalid('input.accessPorts');
    }
    seen.add(key);
  }
  const msg = [accessIp, ...seen].join(',');
  if (msg.length > MAX_ACCESS_MSG_LEN) throw spaInvalid('input.accessPorts');
  return msg;
}

export function parseAccessMessage(msg: string): { accessIp: string; accessPorts: SpaAccessPort[] } {
  const parts = msg.length <= MAX_ACCESS_MSG_LEN ? msg.split(',') : [];
  const [accessIp, ...specs] = parts;
  if (accessIp === undefined || !isIpv4(accessIp) || specs.length === 0) throw spaInvalid('field.access');
  const accessPorts = specs.map((spec) => {
    const m = /^(tcp|udp)\/([0-9]+)$/.exec(spec);
    const port = m?.[2] === undefined ? undefined : parsePort(m[2]);
    if (!m || port === undefined) throw spaInvalid('field.access');
    return { proto: m[1] as SpaProto, port };
  });
  return { accessIp, accessPorts };
}

export function formatNatAccess(nat: SpaNatAccess): string {
  if (!(isIpv4(nat.host) || HOSTNAME_RE.test(nat.host)) || !isPort(nat.port)) throw spaInvalid('input.nat');
  return `${nat.host},${nat.port}`;
}

export function parseNatAccess(text: string, local: boolean): SpaNatAccess {
  const m = /^([^,]+),([0-9]+)$/.exec(text);
  const port = m?.[2] === undefined ? undefined : parsePort(m[2]);
  const host = m?.[1];
  if (host === undefined || port === undefined || !(isIpv4(host) || HOSTNAME_RE.test(host))) {
    throw spaInvalid('field.nat');
  }
  return local ? { host, port, local } : { host, port };
}

const NAT_TYPES: ReadonlySet<number> = new Set([2, 4, 5, 6]);
const TIMEOUT_TYPES: ReadonlySet<number> = new Set([3, 4, 6]);

export function isNatType(t: SpaMessageType): boolean {
  return NAT_TYPES.has(t);
}
export function isTimeoutType(t: SpaMessageType): boolean {
  return TIMEOUT_TYPES.has(t);
}
export function isLocalNatType(t: SpaMessageType): boolean {
  return t === SpaMessageType.LOCAL_NAT_ACCESS || t === SpaMessageType.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS;
}

/** Message type for a request: a NAT request picks the NAT family, a client timeout its TIMEOUT twin. */
export function messageTypeFor(nat: SpaNatAccess | undefined, withTimeout: boolean): SpaMessageType {
  if (!nat) return withTimeout ? SpaMessageType.CLIENT_TIMEOUT_ACCESS : SpaMessageType.ACCESS;
  if (nat.local) {
    return withTimeout ? SpaMessageType.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS : SpaMessageType.LOCAL_NAT_ACCESS;
  }
  return withTimeout ? SpaMessageType.CLIENT_TIMEOUT_NAT_ACCESS : SpaMessageType.NAT_ACCESS;
}

/** Parses field 5; COMMAND (0) is refused: ViWorkS never asks a gateway to run a command. */
export function parseMessageType(text: string): SpaMessageType {
  if (!/^[1-6]$/.test(text)) throw spaInvalid('field.type');
  return Number(text) as SpaMessageType;
}
