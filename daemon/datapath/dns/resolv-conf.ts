// The resolv.conf text of the session's pushed DNS (issue #12), shared by every way of applying it
// (dns-backend.ts): the file method writes it to /etc/resolv.conf (file-dns.ts), resolvconf takes it
// on stdin (resolvconf-dns.ts). Values are checked first: a server must be an IP literal and a
// search domain a host name, so nothing can add an `options` line or a resolver of its own.
import { isIP } from 'node:net';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export interface DnsSettings {
  readonly servers: readonly string[];
  readonly searchDomains: readonly string[];
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function refuse(detail: string): ViworksError {
  return new ViworksError('VIW_E_VALIDATION', {
    message: 'The pushed DNS settings are invalid',
    details: [detail],
  });
}

/** Throws VIW_E_VALIDATION (naming the field, never the value) unless every value is clean. */
export function checkDnsSettings(s: DnsSettings): void {
  if (s.servers.length < 1 || s.servers.length > 3)
    throw refuse('servers: 1 to 3 (the resolver reads three)');
  // An address literal only: no zone (`fe80::1%eth0`), which resolvectl would read as an interface.
  for (const [i, a] of s.servers.entries())
    if (isIP(a) === 0 || a.includes('%')) throw refuse(`servers[${i}]: not an IP address`);
  if (s.searchDomains.length > 6) throw refuse('searchDomains: at most 6');
  for (const [i, d] of s.searchDomains.entries()) {
    const name = d.endsWith('.') ? d.slice(0, -1) : d;
    if (name.length < 1 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l)))
      throw refuse(`searchDomains[${i}]: not a domain name`);
  }
}

export function renderResolvConf(s: DnsSettings): string {
  checkDnsSettings(s);
  return [
    '# Written by viworksd for the VPN session; the previous file comes back on disconnect.',
    ...s.servers.map((a) => `nameserver ${a}`),
    ...(s.searchDomains.length > 0 ? [`search ${s.searchDomains.join(' ')}`] : []),
    '',
  ].join('\n');
}

/**
 * The `nameserver` addresses of a resolv.conf text, in order (what the libc resolver asks). A zone
 * (`fe80::1%eth0`) is dropped; a line that is not an address is skipped, as the resolver does.
 */
export function parseNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[ \t]*nameserver[ \t]+([^ \t#;]+)/.exec(line);
    const address = m?.[1]?.split('%')[0];
    if (address && isIP(address) !== 0 && !out.includes(address)) out.push(address);
  }
  return out;
}
