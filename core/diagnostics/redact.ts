// Address redaction for diagnostic reports (`viworks doctor`, GET /v1/diagnostics). A report is
// meant to be pasted into a ticket, so by default no IP address appears in it:
//   IPv4  10.1.2.3        → 10.x.x.x~3fa2   (first octet kept: private, loopback, CGNAT or public
//                                           is what support needs to know)
//   IPv6  fd00:1:2::7     → fd00:x::x~9c1e  (first group kept)
// The `~tag` is 4 hex digits of an HMAC-SHA-256 of the address under a key drawn at random for
// each report and never printed: the same address carries the same tag within one report (so "the
// resolver is the gateway" stays visible), while tags cannot be reversed by trying all 2^32 IPv4
// addresses, nor compared across reports. Host names (backend, gateway) are kept: they are
// configuration, not addresses, and so are the network addresses of catch-all routes (0.0.0.0,
// 128.0.0.0, ::, 8000::, 2000::, 3000::: def1's halves and the like), which name no host.
// `--include-addresses` (addresses=1) turns redaction off.
import { createHmac, randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export type Redactor = (text: string) => string;

const NOT_A_HOST = new Set(['0.0.0.0', '128.0.0.0', '::', '8000::', '2000::', '3000::']);

const IPV4_RE = /(?<!\d|\d\.)(\d{1,3}(?:\.\d{1,3}){3})(?!\d|\.\d)/g;
// Candidates only (hex groups and colons, optionally an embedded IPv4 tail); isIPv6 decides.
const IPV6_RE =
  /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?)(?![\w:]|\.\d)/g;

/** The identity redactor (addresses included) or a fresh keyed one. */
export function createRedactor(o: { includeAddresses: boolean; key?: Uint8Array }): Redactor {
  if (o.includeAddresses) return (text) => text;
  const key = o.key ?? randomBytes(32);
  const tag = (addr: string) =>
    createHmac('sha256', key).update(addr.toLowerCase()).digest('hex').slice(0, 4);
  return (text) =>
    text
      .replace(IPV6_RE, (m: string) => {
        // A zone (%eth0) was cut by the pattern; a trailing ':' is punctuation, not the address.
        const addr = m.endsWith(':') && !m.endsWith('::') ? m.slice(0, -1) : m;
        if (!isIPv6(addr) || NOT_A_HOST.has(addr.toLowerCase())) return m;
        const first = addr.startsWith('::') ? '0' : (addr.split(':')[0] ?? '0');
        return `${first}:x::x~${tag(addr)}${m.slice(addr.length)}`;
      })
      .replace(IPV4_RE, (m: string) =>
        isIPv4(m) && !NOT_A_HOST.has(m) ? `${m.split('.')[0]}.x.x.x~${tag(m)}` : m,
      );
}

/** True when `text` still holds an IPv4 or IPv6 address (tests, and a last check before printing). */
export function containsAddress(text: string): boolean {
  for (const m of text.matchAll(IPV4_RE)) {
    const a = m[1] ?? '';
    if (isIPv4(a) && !NOT_A_HOST.has(a)) return true;
  }
  for (const m of text.matchAll(IPV6_RE)) {
    const a = (m[1] ?? '').replace(/([^:]):$/, '$1').toLowerCase();
    if (isIPv6(a) && !NOT_A_HOST.has(a)) return true;
  }
  return false;
}

/** Redacts every string inside a JSON-like value (objects, arrays), keys untouched. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactDeep(v, redact)]),
    ) as T;
  }
  return value;
}
