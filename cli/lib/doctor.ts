// `viworks doctor`: assembles the report (docs/cli.md#doctor). The daemon check is the CLI's own
// (reachable? same version?); the rest come from the daemon's GET /v1/diagnostics, its privileged
// view. When the daemon cannot be asked, the checks any user can make here (tun device, tunnel
// interfaces by name, resolv.conf) still run and the others (the kill switch too: only the daemon
// knows its mode and may read nftables) are skipped, saying why. Every string is redacted once more before printing (addresses: core/diagnostics/redact.ts),
// so a check added later cannot leak one by accident.
import { DAEMON_DIAGNOSTIC_IDS, type DiagnosticCheck, LOCAL_API_VERSION } from '../../core/api/local.js';
import {
  type DaemonFacts,
  daemonCheck,
  dnsConfigCheck,
  otherVpnCheck,
  redactChecks,
  skip,
  staleRoutesCheck,
  tunDeviceCheck,
  unavailable,
} from '../../core/diagnostics/checks.js';
import { dnsFacts, sysfsTunnels, tunFacts } from '../../core/diagnostics/probes.js';
import { createRedactor } from '../../core/diagnostics/redact.js';
import { type LocalClient, packageVersion } from '../../core/localclient/index.js';
import { exitCodeFor } from './exit-codes.js';
import { toErrorInfo } from './output.js';
import type { DoctorResult } from './results.js';

/** The CLI's local probes (the machine by default; tests inject). */
export interface LocalProbes {
  readonly tun?: typeof tunFacts;
  readonly tunnels?: typeof sysfsTunnels;
  readonly dns?: typeof dnsFacts;
}

export async function runDoctor(
  client: LocalClient,
  o: { includeAddresses: boolean; probes?: LocalProbes; now?: Date },
): Promise<DoctorResult> {
  const clientVersion = packageVersion();
  let facts: DaemonFacts;
  try {
    const v = await client.version();
    facts = {
      reachable: true,
      daemonVersion: v.daemon_version,
      clientVersion,
      localApiVersion: v.local_api_version,
    };
  } catch (err) {
    facts = { reachable: false, clientVersion, error: toErrorInfo(err) };
  }
  let checks: DiagnosticCheck[];
  let state: DoctorResult['state'] = null;
  if (facts.reachable) {
    try {
      const d = await client.diagnostics({ includeAddresses: o.includeAddresses });
      state = d.state;
      checks = d.checks;
    } catch (err) {
      const e = toErrorInfo(err);
      checks = await localChecks(
        o.probes ?? {},
        `the daemon did not answer diagnostics (${e.code}): ${e.hint}`,
      );
    }
  } else {
    checks = await localChecks(o.probes ?? {}, 'needs the daemon, which is not reachable');
  }
  const all = redactChecks([daemonCheck(facts), ...checks], createRedactor(o));
  const count = (s: DiagnosticCheck['status']) => all.filter((c) => c.status === s).length;
  return {
    v: 1,
    ok: count('fail') === 0,
    generated_at: (o.now ?? new Date()).toISOString(),
    client_version: clientVersion,
    daemon_version: facts.reachable ? facts.daemonVersion : null,
    local_api_version: LOCAL_API_VERSION,
    state,
    addresses: o.includeAddresses ? 'included' : 'redacted',
    counts: { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') },
    checks: all,
  };
}

/** The checks this process can make without the daemon, in the daemon's order; the rest skipped. */
async function localChecks(p: LocalProbes, why: string): Promise<DiagnosticCheck[]> {
  const tunnels = await (p.tunnels ?? sysfsTunnels)().catch(() => null);
  const own: Partial<Record<(typeof DAEMON_DIAGNOSTIC_IDS)[number], DiagnosticCheck>> = {
    tun_device: tunDeviceCheck(await (p.tun ?? tunFacts)()),
    other_vpn: tunnels ? otherVpnCheck(tunnels) : skip('other_vpn', 'interfaces cannot be listed here'),
    stale_routes: tunnels ? staleRoutesCheck(tunnels) : skip('stale_routes', why),
    dns_config: dnsConfigCheck(await (p.dns ?? dnsFacts)()),
  };
  return DAEMON_DIAGNOSTIC_IDS.map((id) => own[id] ?? unavailable([id], why)[0]!);
}

/**
 * Exit code: 0 when no check failed; otherwise the class of the first failing check's code in
 * report order (exit-codes.ts) — the daemon first (6), then e.g. 4 (not enrolled, clock, other
 * VPN, tun device), 5 (backend unreachable, pin mismatch), 7 (device key).
 */
export function doctorExitCode(r: DoctorResult): number {
  const failed = r.checks.find((c) => c.status === 'fail');
  return failed ? exitCodeFor(failed.code ?? 'VIW_E_PREFLIGHT') : 0;
}

const LABEL = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const;

/** The text report: one block per check, then the counts. Copyable as is. */
export function formatDoctor(r: DoctorResult): string[] {
  const lines = [
    `viworks doctor  ${r.generated_at}`,
    `client ${r.client_version}, daemon ${r.daemon_version ?? 'not reachable'}` +
      `${r.state ? `, state ${r.state}` : ''}; addresses ${r.addresses}` +
      `${r.addresses === 'redacted' ? ' (--include-addresses shows them)' : ''}`,
    '',
  ];
  const pad = ' '.repeat(20);
  for (const c of r.checks) {
    lines.push(`${LABEL[c.status]}  ${c.id.padEnd(14)}${c.summary}`);
    if (c.code && c.status !== 'pass') lines.push(`${pad}code: ${c.code}`);
    if (c.hint) lines.push(`${pad}hint: ${c.hint}`);
    const details = Object.entries(c.details ?? {}).filter(([, v]) => v !== null && v !== '');
    if (details.length > 0) lines.push(`${pad}${details.map(([k, v]) => `${k}=${String(v)}`).join('  ')}`);
  }
  const n = r.counts;
  lines.push(
    '',
    `${n.pass} passed, ${n.warn} warning(s), ${n.fail} failed, ${n.skip} skipped.` +
      (r.addresses === 'redacted' ? ' This report holds no secret and no IP address.' : ''),
  );
  return lines;
}
