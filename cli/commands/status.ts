import { Flags } from '@oclif/core';
import { formatMs as ms, type Status } from '../../core/localclient/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { killSwitchSummary } from '../lib/killswitch.js';
import type { StatusResult } from '../lib/results.js';

/** The lines `viworks status` prints for a Status (text mode). */
export function describeStatus(s: Status): string[] {
  const lines = [`State:    ${s.state}`];
  const d = s.device;
  lines.push(
    d
      ? `Device:   ${d.device_id} (${d.status}, ${d.key_protection} key in ${d.key_store}) for ${d.username} at ${d.backend_url}`
      : 'Device:   not enrolled (viworks enroll)',
  );
  if (s.session) {
    const x = s.session;
    const since = x.connected_at ? `since ${x.connected_at}, ` : '';
    lines.push(
      `Session:  ${x.session_id} via ${x.gateway_fqdn} (${since}expires ${x.expires_at}, ip ${x.virtual_ip ?? '-'})`,
    );
    if (x.browser)
      lines.push(
        `Browser:  ${x.browser.targets.join(', ')} — viworks open <target> (viewer ${x.browser.viewer_url})`,
      );
  }
  if (s.traffic) {
    const x = s.traffic;
    lines.push(
      `Traffic:  ${x.bytes_in} bytes in, ${x.bytes_out} bytes out, last activity ${x.last_activity_at}`,
    );
  }
  lines.push(...describeNetwork(s));
  lines.push(`Hardening: ${describePosture(s.posture)}`);
  if (s.otp_expires_at) lines.push(`Code:     waiting for the phone code until ${s.otp_expires_at}`);
  const t = s.timings;
  if (t.total_connect_ms !== null || t.login_ms !== null) {
    lines.push(
      `Timings:  login ${ms(t.login_ms)}, bootstrap ${ms(t.bootstrap_ms)}, SPA ${ms(t.spa_ms)}, ` +
        `TLS ${ms(t.tls_handshake_ms)}, OpenVPN ${ms(t.openvpn_ms)}, total ${ms(t.total_connect_ms)}`,
    );
  }
  if (s.last_error) {
    lines.push(
      `Error:    ${s.last_error.code}: ${s.last_error.message}`,
      `          hint: ${s.last_error.hint}`,
    );
  }
  return lines;
}

/** The network protection lines (docs/cli.md#network-protection): kill switch, DNS, leak checks. */
export function describeNetwork(s: Status): string[] {
  const n = s.network;
  const lines = [`Network:  kill switch ${killSwitchSummary(n.kill_switch)}`];
  if (n.dns) {
    const search = n.dns.search_domains.length > 0 ? ` (search ${n.dns.search_domains.join(', ')})` : '';
    lines.push(`DNS:      ${n.dns.servers.join(', ')}${search} via ${n.dns.method} on ${n.dns.interface}`);
  } else if (s.state === 'connected') {
    lines.push('DNS:      unchanged (no DNS pushed, or not managed by this daemon)');
  }
  const l = n.leak_check;
  if (l) {
    const last = l.last_at ? `last ${l.last_at}` : 'none yet';
    const found = l.leak ? `LEAK: ${l.leak}` : 'no leak';
    lines.push(`Leaks:    checked every ${l.interval_s} s (${l.checks} so far, ${last}): ${found}`);
  }
  return lines;
}

/**
 * The daemon's process hardening on one line (docs/cli.md#process-hardening), e.g. `not dumpable,
 * core dumps off, no new privileges, memory not locked (unavailable), no debugger`.
 */
export function describePosture(p: Status['posture']): string {
  return [
    p.dumpable ? 'DUMPABLE' : 'not dumpable',
    p.core_limit_zero ? 'core dumps off' : 'CORE DUMPS ALLOWED',
    p.no_new_privs ? 'no new privileges' : 'NEW PRIVILEGES ALLOWED',
    p.mlock === 'locked'
      ? 'memory locked'
      : p.mlock === 'secrets'
        ? 'secret buffers locked in RAM'
        : `memory not locked (${p.mlock})`,
    p.tracer ? 'DEBUGGER ATTACHED' : 'no debugger',
  ].join(', ');
}

/** Shows the daemon's state; --watch follows every change until interrupted. */
export default class StatusCmd extends DaemonCommand<StatusResult> {
  static override summary = 'Show the connection state';
  static override description =
    'Also shows the network protection: the kill switch, the DNS the session applied and the leak ' +
    "checks (docs/cli.md#network-protection), and the daemon's process hardening " +
    '(docs/cli.md#process-hardening). With --watch, prints the state again after every change ' +
    '(with --json: one Status object per line).';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --watch --json'];
  static override flags = {
    ...socketFlag,
    watch: Flags.boolean({ char: 'w', description: 'Follow changes until interrupted' }),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(StatusCmd);
    const client = this.daemon(flags);
    if (!flags.watch) {
      const s = await client.status();
      this.log(describeStatus(s).join('\n'));
      return s;
    }
    let last: Status | null = null;
    await this.follow(
      (signal) => client.watch({ signal }),
      (s) => {
        if (this.jsonEnabled()) this.emitJsonLine(s);
        else if (!last) this.log(describeStatus(s).join('\n'));
        else {
          const ks = killSwitchSummary(s.network.kill_switch);
          const ksChanged = ks !== killSwitchSummary(last.network.kill_switch);
          this.log(
            `${s.updated_at}  ${s.state}${s.last_error ? `  ${s.last_error.code}` : ''}` +
              (ksChanged ? `  kill switch ${ks}` : ''),
          );
        }
        last = s;
      },
    );
    return last ?? (await client.status());
  }
}
