// Pushed DNS through resolvconf (issue #12): Debian's resolvconf or openresolv, which both keep one
// resolv.conf record per interface and build /etc/resolv.conf from them. The session's record is
// `<interface>.viworks` (both read `interface.protocol`: Debian calls it IFACE.PROG and orders
// records by /etc/resolvconf/interface-order, whose default puts `tun*` right after loopback;
// openresolv takes what precedes the dot as the interface). The text goes in on stdin:
//
//   resolvconf -a <if>.viworks  < resolv.conf text       add or replace the record
//   resolvconf -x -a <if>.viworks < …  (openresolv only)   full tunnel: the record is exclusive,
//                                                         the other interfaces' servers drop out
//   resolvconf -f -d <if>.viworks      (openresolv)       undo; -f: no error when it is gone
//   resolvconf -d <if>.viworks         (Debian)           undo (a missing record is no error)
//
// Debian's resolvconf has no exclusive mode (it refuses options it does not know): in a full tunnel
// its record comes first by interface-order, and the kill switch keeps the other servers out of
// reach. Which one is installed is asked once, with `--version` (openresolv names itself; Debian's
// refuses the option), and kept in the state file so the same one undoes it.
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  checkDnsApplyRequest,
  commandFailed,
  type DnsApplyRequest,
  type DnsBackend,
  type DnsCommandRunner,
  localDnsRunner,
} from './dns-backend.js';
import type { DnsStateStore, ResolvconfDnsState } from './dns-state.js';
import { RESOLV_CONF, readNameservers } from './file-dns.js';
import { renderResolvConf } from './resolv-conf.js';

/** Where both implementations install it (Debian: /sbin, merged-/usr: also /usr/sbin). */
export const RESOLVCONF_PATHS = ['/sbin/resolvconf', '/usr/sbin/resolvconf'] as const;
export type ResolvconfFlavour = ResolvconfDnsState['flavour'];
const INSTALL = 'apt-get install resolvconf (or openresolv)';

export interface ResolvconfDnsOptions {
  readonly state: DnsStateStore;
  /** The resolvconf program (absolute), as found by select-dns.ts. */
  readonly program: string;
  /** The resolv.conf it writes, read back for serversInUse (default /etc/resolv.conf). */
  readonly resolvConfPath?: string;
  readonly run?: DnsCommandRunner;
}

export function resolvconfRecord(interfaceName: string): string {
  return `${interfaceName}.viworks`;
}

/** The argv (without the program) that adds the record; its text goes on stdin. */
export function resolvconfAddArgs(flavour: ResolvconfFlavour, record: string, fullTunnel: boolean): string[] {
  return [...(flavour === 'openresolv' && fullTunnel ? ['-x'] : []), '-a', record];
}

/** The argv (without the program) that deletes the record. */
export function resolvconfDeleteArgs(flavour: ResolvconfFlavour, record: string): string[] {
  return flavour === 'openresolv' ? ['-f', '-d', record] : ['-d', record];
}

export class ResolvconfDns implements DnsBackend {
  readonly method = 'resolvconf' as const;
  private readonly run: DnsCommandRunner;

  constructor(private readonly o: ResolvconfDnsOptions) {
    this.run = o.run ?? localDnsRunner;
  }

  /** Adds (or replaces) the session's record; on a failure, deletes it again. */
  async apply(req: DnsApplyRequest): Promise<void> {
    checkDnsApplyRequest(req);
    const text = renderResolvConf(req);
    const saved = await this.o.state.read();
    if (saved && (saved.method !== this.method || saved.interfaceName !== req.interfaceName))
      throw new ViworksError('VIW_E_STATE', {
        message: 'Other DNS settings of a session are in place; restore them first',
        details: [`applied through ${saved.method}`],
      });
    const record: ResolvconfDnsState = saved ?? {
      v: 2,
      method: this.method,
      interfaceName: req.interfaceName,
      record: resolvconfRecord(req.interfaceName),
      program: this.o.program,
      flavour: await this.flavour(),
    };
    if (!saved) await this.o.state.write(record);
    const r = await this.run(
      record.program,
      resolvconfAddArgs(record.flavour, record.record, req.fullTunnel),
      text,
    );
    if (r.code !== 0) {
      await this.restore().catch(() => {}); // the record stays when this fails too: the next start retries
      throw commandFailed('applied', record.program, r, INSTALL);
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
    const r = await this.run(saved.program, resolvconfDeleteArgs(saved.flavour, saved.record));
    if (r.code !== 0) throw commandFailed('restored', saved.program, r, INSTALL);
    await this.o.state.clear();
  }

  async serversInUse(): Promise<string[]> {
    return readNameservers(this.o.resolvConfPath ?? RESOLV_CONF);
  }

  /** openresolv answers `--version` with its name; Debian's resolvconf refuses the option. */
  private async flavour(): Promise<ResolvconfFlavour> {
    const r = await this.run(this.o.program, ['--version']);
    if (r.code === null) throw commandFailed('applied', this.o.program, r, INSTALL);
    return r.code === 0 && /openresolv/i.test(r.stdout) ? 'openresolv' : 'debian';
  }
}
