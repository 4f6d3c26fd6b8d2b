// Pushed DNS through systemd-resolved (issue #12), with resolvectl's documented per-link verbs —
// the settings belong to the tunnel link, so they vanish with it, and `revert` drops them early:
//
//   resolvectl dns <if> <server>…                  the link's servers
//   resolvectl domain <if> <domain>… [~.]          its search domains; `~.` (full tunnel) routes
//                                                  every name to the link; '' clears the list
//   resolvectl default-route <if> yes|no           yes (full tunnel): names no link routes go here
//   resolvectl revert <if>                         undo: the link's DNS as its manager left it
//
// Every value is checked before the first command runs, and goes in its own argv element (never a
// shell). The state file names the link before anything changes, so the next start can revert it.
import { isIP } from 'node:net';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  checkDnsApplyRequest,
  commandFailed,
  type DnsApplyRequest,
  type DnsBackend,
  type DnsCommandRunner,
  localDnsRunner,
} from './dns-backend.js';
import type { DnsStateStore } from './dns-state.js';

export const RESOLVECTL = '/usr/bin/resolvectl';
const INSTALL = 'apt-get install systemd-resolved';

export interface ResolvedDnsOptions {
  readonly state: DnsStateStore;
  readonly run?: DnsCommandRunner;
  /** resolvectl; default /usr/bin/resolvectl. */
  readonly resolvectl?: string;
}

/** The resolvectl argv (without the program) that put `req` in place, in order. */
export function resolvectlApplyArgs(req: DnsApplyRequest): string[][] {
  checkDnsApplyRequest(req);
  const domains = [...req.searchDomains, ...(req.fullTunnel ? ['~.'] : [])];
  return [
    ['dns', req.interfaceName, ...req.servers],
    ['domain', req.interfaceName, ...(domains.length > 0 ? domains : [''])],
    ['default-route', req.interfaceName, req.fullTunnel ? 'yes' : 'no'],
  ];
}

/** resolvectl's words when the link is gone: its DNS went with it, so there is nothing to revert. */
const LINK_GONE = /Unknown interface|No such device|not known/i;

export class ResolvedDns implements DnsBackend {
  readonly method = 'systemd-resolved' as const;
  private readonly run: DnsCommandRunner;
  private readonly resolvectl: string;

  constructor(private readonly o: ResolvedDnsOptions) {
    this.run = o.run ?? localDnsRunner;
    this.resolvectl = o.resolvectl ?? RESOLVECTL;
  }

  /** Sets the link's DNS; on a failure, reverts what was set (a failed apply leaves nothing applied). */
  async apply(req: DnsApplyRequest): Promise<void> {
    const steps = resolvectlApplyArgs(req); // checks every value before anything is touched
    const saved = await this.o.state.read();
    if (saved && (saved.method !== this.method || saved.interfaceName !== req.interfaceName))
      throw new ViworksError('VIW_E_STATE', {
        message: 'Other DNS settings of a session are in place; restore them first',
        details: [`applied through ${saved.method}`],
      });
    if (!saved) await this.o.state.write({ v: 2, method: this.method, interfaceName: req.interfaceName });
    for (const args of steps) {
      const r = await this.run(this.resolvectl, args);
      if (r.code !== 0) {
        await this.restore().catch(() => {}); // the record stays when this fails too: the next start retries
        throw commandFailed('applied', this.resolvectl, r, INSTALL);
      }
    }
  }

  async applied(): Promise<boolean> {
    return (await this.o.state.read())?.method === this.method;
  }

  async restore(): Promise<void> {
    const saved = await this.o.state.read();
    if (!saved) return;
    if (saved.method !== this.method)
      throw new ViworksError('VIW_E_STATE', { details: [`DNS applied through ${saved.method}`] });
    const r = await this.run(this.resolvectl, ['revert', saved.interfaceName]);
    if (r.code !== 0 && !(r.code !== null && LINK_GONE.test(r.stderr)))
      throw commandFailed('restored', this.resolvectl, r, INSTALL);
    await this.o.state.clear();
  }

  /** The servers a name no link claims goes to, from resolvectl's own report (see resolvedServersInUse). */
  async serversInUse(): Promise<string[]> {
    const out: string[] = [];
    for (const verb of ['dns', 'domain', 'default-route']) {
      const r = await this.run(this.resolvectl, ['--no-pager', verb]);
      if (r.code !== 0) throw commandFailed('read', this.resolvectl, r, INSTALL);
      out.push(r.stdout);
    }
    const [dns = '', domain = '', defaultRoute = ''] = out;
    return resolvedServersInUse(dns, domain, defaultRoute);
  }
}

/** One line of `resolvectl dns|domain|default-route` without arguments: a scope and its values. */
export interface ResolvectlEntry {
  /** `Global`, or the link's name. */
  readonly scope: string;
  readonly ifindex: number | null;
  readonly values: string[];
}

/**
 * Parses what resolvectl prints for `dns`, `domain`, `default-route` (and `llmnr`…): one line a
 * scope, `Global: <values>` then `Link <index> (<name>): <values>`, long lists continued on lines
 * indented to the values' column (resolvectl wraps at the terminal's width, 80 when not one).
 */
export function parseResolvectlList(text: string): ResolvectlEntry[] {
  const out: ResolvectlEntry[] = [];
  let current: ResolvectlEntry | null = null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: resolvectl's highlighting is ESC [ … m
  for (const raw of text.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const head = /^(?:Global|Link (\d+) \(([^)]*)\)):(.*)$/.exec(line);
    if (head) {
      current = {
        scope: head[2] ?? 'Global',
        ifindex: head[1] === undefined ? null : Number(head[1]),
        values: words(head[3] ?? ''),
      };
      out.push(current);
    } else if (current && /^\s/.test(line)) current.values.push(...words(line));
  }
  return out;
}

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

/**
 * The address in resolvectl's spelling of a server: `1.1.1.1`, `1.1.1.1:853`, `1.1.1.1#name`,
 * `fe80::1%3`, `[2001:db8::1]:853%3#name`. Null when it is none.
 */
export function serverAddress(token: string): string | null {
  let s = token.split('#')[0] ?? '';
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']') > 0 ? s.indexOf(']') : undefined);
  else {
    s = s.split('%')[0] ?? '';
    const colon = s.split(':');
    if (colon.length === 2 && isIP(colon[0] ?? '') === 4) s = colon[0] ?? '';
  }
  return isIP(s) === 0 ? null : s;
}

/**
 * Where systemd-resolved sends a name that no link's routing domain claims more specifically (what
 * a leak check asks): when some scope has the routing domain `~.` (our full tunnel), to that
 * scope's servers only; otherwise to the global servers and those of every link whose
 * default-route is yes. Addresses only, each once. (With no server anywhere, resolved would fall
 * back to its compiled-in FallbackDNS=, which these verbs do not report.)
 */
export function resolvedServersInUse(dnsOut: string, domainOut: string, defaultRouteOut: string): string[] {
  const key = (e: ResolvectlEntry) => (e.ifindex === null ? 'global' : `link:${e.scope}`);
  const servers = new Map(parseResolvectlList(dnsOut).map((e) => [key(e), e.values] as const));
  const routeAll = parseResolvectlList(domainOut)
    .filter((e) => e.values.includes('~.'))
    .map(key);
  const chosen =
    routeAll.length > 0
      ? routeAll
      : [
          'global',
          ...parseResolvectlList(defaultRouteOut)
            .filter((e) => e.values[0] === 'yes')
            .map(key),
        ];
  const out: string[] = [];
  for (const scope of chosen)
    for (const token of servers.get(scope) ?? []) {
      const a = serverAddress(token);
      if (a && !out.includes(a)) out.push(a);
    }
  return out;
}
