// The checks of `viworks doctor` as small pure functions: facts in (gathered by a probe — the
// daemon's privileged one, or the CLI's own when the daemon is down), one DiagnosticCheck out.
// The daemon (daemon/engine/diagnostics.ts) and the CLI (cli/commands/doctor.ts) both build their
// checks here, so a check reads the same whoever ran it. Statuses: pass; warn (works, but look);
// fail (connecting would fail or is unsafe; `code` is the stable code whose exit class doctor
// uses); skip (does not apply: not enrolled, not connected, no daemon).
import type { DiagnosticCheck, KillSwitchInfo, NetworkProtection, Status } from '../api/local.js';
import { type Redactor, redactDeep } from './redact.js';

/** Clock and backend limits, shared with the daemon's connect preflight (system-preflight.ts). */
export const MAX_CLOCK_SKEW_MS = 60_000;
/** Where doctor starts to warn: SPA packets carry the time; fwknopd allows 120 s. */
export const WARN_CLOCK_SKEW_MS = 10_000;
/**
 * Slowest acceptable round trip to the backend (GET /health over pinned HTTPS, TLS included); a
 * slower backend fails the connect preflight. The specification's target is p50 ≤ 200 ms
 * (docs/architecture.md#desktop-preflight): doctor warns above it.
 */
export const MAX_BACKEND_RTT_MS = 2000;
export const WARN_BACKEND_RTT_MS = 200;

/** Interface names of VPNs and tunnels (ours is tun*; others: WireGuard, Tailscale, ZeroTier…). */
export const TUNNEL_NAME_RE = /^(tun|tap|wg|utun|ppp|ipsec|tailscale|zt|nordlynx)/;

type Details = NonNullable<DiagnosticCheck['details']>;

const cut = (s: string, n = 256) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function pass(id: string, summary: string, details?: Details): DiagnosticCheck {
  return { id, status: 'pass', summary: cut(summary), ...(details ? { details } : {}) };
}

export function skip(id: string, summary: string, details?: Details): DiagnosticCheck {
  return { id, status: 'skip', summary: cut(summary), ...(details ? { details } : {}) };
}

export function problem(
  id: string,
  status: 'warn' | 'fail',
  summary: string,
  o: { code?: string; hint: string; details?: Details },
): DiagnosticCheck {
  return {
    id,
    status,
    summary: cut(summary),
    ...(o.code ? { code: o.code } : {}),
    hint: cut(o.hint),
    ...(o.details ? { details: o.details } : {}),
  };
}

// ── Daemon (CLI side) ────────────────────────────────────────────────────────────────────────

export type DaemonFacts =
  | {
      readonly reachable: true;
      readonly daemonVersion: string;
      readonly clientVersion: string;
      readonly localApiVersion: number;
    }
  | {
      readonly reachable: false;
      readonly clientVersion: string;
      readonly error: { readonly code: string; readonly message: string; readonly hint: string };
    };

export function daemonCheck(f: DaemonFacts): DiagnosticCheck {
  if (!f.reachable) {
    return problem('daemon', 'fail', `viworksd not reachable: ${f.error.message}`, {
      code: f.error.code,
      hint: f.error.hint,
      details: { client_version: f.clientVersion },
    });
  }
  const details = {
    daemon_version: f.daemonVersion,
    client_version: f.clientVersion,
    local_api_version: f.localApiVersion,
  };
  if (f.daemonVersion !== f.clientVersion) {
    return problem('daemon', 'warn', `viworksd ${f.daemonVersion} differs from this CLI ${f.clientVersion}`, {
      hint: 'Update the CLI or the daemon so both run the same release.',
      details,
    });
  }
  return pass('daemon', `viworksd ${f.daemonVersion} reachable (local API v${f.localApiVersion})`, details);
}

// ── Enrollment and the device key ────────────────────────────────────────────────────────────

export interface EnrollmentFacts {
  readonly device: { readonly device_id: string; readonly status: string } | null;
  readonly backendHost: string | null;
}

export function enrollmentCheck(f: EnrollmentFacts): DiagnosticCheck {
  const d = f.device;
  if (!d) {
    return problem('enrollment', 'fail', 'this machine is not enrolled', {
      code: 'VIW_E_DEVICE_UNKNOWN',
      hint: 'Enroll it: `viworks enroll` (ask your administrator for the backend URL, CA and pins).',
    });
  }
  const details = { device_id: d.device_id, status: d.status, backend: f.backendHost };
  if (d.status === 'revoked') {
    return problem('enrollment', 'fail', 'this device was revoked', {
      code: 'VIW_E_DEVICE_REVOKED',
      hint: 'Contact your administrator; a revoked device must be enrolled again.',
      details,
    });
  }
  if (d.status === 'pending_approval') {
    return problem('enrollment', 'warn', 'enrolled, waiting for an administrator to approve it', {
      code: 'VIW_E_DEVICE_PENDING',
      hint: 'Ask your administrator to approve this device (viworks admin devices approve).',
      details,
    });
  }
  return pass('enrollment', `enrolled and active at ${f.backendHost ?? 'the backend'}`, details);
}

export interface DeviceKeyFacts {
  readonly enrolled: boolean;
  readonly store: string;
  readonly protection: 'hardware' | 'software' | 'tpm2';
  /** Both private keys found in the store with their expected lengths; or the failing code. */
  readonly keys:
    | { readonly ok: true }
    | { readonly ok: false; readonly code: string; readonly detail: string };
}

export function deviceKeyCheck(f: DeviceKeyFacts): DiagnosticCheck {
  const details = { key_store: f.store, protection: f.protection };
  if (!f.enrolled) return skip('device_key', 'no device key: not enrolled', details);
  if (!f.keys.ok) {
    return problem('device_key', 'fail', `device key unusable: ${f.keys.detail}`, {
      code: f.keys.code,
      hint: 'Re-enroll this device (the private keys cannot be recovered from the backend).',
      details,
    });
  }
  if (f.protection === 'software') {
    return pass('device_key', `both device keys present in ${f.store} (software protection)`, details);
  }
  return pass('device_key', `both device keys present in ${f.store} (hardware protection)`, details);
}

// ── Backend and clock ────────────────────────────────────────────────────────────────────────

export type BackendFacts =
  | { readonly enrolled: false }
  | {
      readonly enrolled: true;
      readonly host: string;
      readonly ok: true;
      readonly rttMs: number;
      readonly version: string;
    }
  | { readonly enrolled: true; readonly host: string; readonly ok: false; readonly code: string };

export function backendCheck(f: BackendFacts): DiagnosticCheck {
  if (!f.enrolled) return skip('backend', 'no backend to check: not enrolled');
  if (!f.ok) {
    const details = { host: f.host };
    if (f.code === 'VIW_E_PIN_MISMATCH') {
      return problem('backend', 'fail', `${f.host}: the server key matches neither enrolled pin`, {
        code: f.code,
        hint: 'Do not connect; contact your administrator (possible interception, or a pin roll this device missed).',
        details,
      });
    }
    return problem('backend', 'fail', `${f.host} not reachable over the pinned channel`, {
      code: f.code,
      hint: 'Check the network (proxy, firewall, captive portal) and that the backend is up.',
      details,
    });
  }
  const rtt = Math.round(f.rttMs);
  const details = { host: f.host, rtt_ms: rtt, pin: 'match', backend_version: f.version };
  if (rtt > MAX_BACKEND_RTT_MS) {
    return problem(
      'backend',
      'fail',
      `${f.host} answers, but in ${rtt} ms (limit ${MAX_BACKEND_RTT_MS} ms)`,
      {
        code: 'VIW_E_PREFLIGHT',
        hint: 'The network path to the backend is too slow to connect; try another network.',
        details,
      },
    );
  }
  if (rtt > WARN_BACKEND_RTT_MS) {
    return problem('backend', 'warn', `${f.host} reachable, pin OK, but slow: ${rtt} ms`, {
      hint: `Round trips above ${WARN_BACKEND_RTT_MS} ms make logging in and connecting slow.`,
      details,
    });
  }
  return pass('backend', `${f.host} reachable, pin OK, round trip ${rtt} ms`, details);
}

/** skewMs = local clock − backend clock (the Date header, whole seconds); null: no server time. */
export function clockCheck(f: {
  readonly enrolled: boolean;
  readonly skewMs: number | null;
}): DiagnosticCheck {
  if (!f.enrolled) return skip('clock', 'no backend clock to compare with: not enrolled');
  if (f.skewMs === null) return skip('clock', 'no server time (the backend did not answer)');
  const s = Math.round(f.skewMs / 1000);
  const abs = Math.abs(f.skewMs);
  const details = { skew_s: s };
  const dir = s > 0 ? 'ahead of' : 'behind';
  // The Date header has whole seconds: one more second than the limit is allowed.
  if (abs > MAX_CLOCK_SKEW_MS + 1000) {
    return problem('clock', 'fail', `this clock is ${Math.abs(s)} s ${dir} the backend (limit 60 s)`, {
      code: 'VIW_E_CLOCK_SKEW',
      hint: 'Enable automatic time synchronisation (timedatectl set-ntp true).',
      details,
    });
  }
  if (abs > WARN_CLOCK_SKEW_MS + 1000) {
    return problem('clock', 'warn', `this clock is ${Math.abs(s)} s ${dir} the backend`, {
      hint: 'Enable automatic time synchronisation before the drift reaches 60 s.',
      details,
    });
  }
  return pass('clock', `within ${Math.abs(s)} s of the backend`, details);
}

// ── Gateway DNS ──────────────────────────────────────────────────────────────────────────────

export type GatewayDnsFacts =
  | { readonly fqdn: null }
  | { readonly fqdn: string; readonly addresses: readonly string[]; readonly ms: number }
  | { readonly fqdn: string; readonly error: string };

export function gatewayDnsCheck(f: GatewayDnsFacts): DiagnosticCheck {
  if (f.fqdn === null) {
    return skip(
      'gateway_dns',
      'gateway not known yet: its name comes with the sealed bootstrap of a connect',
    );
  }
  if ('error' in f) {
    return problem('gateway_dns', 'fail', `${f.fqdn} does not resolve: ${f.error}`, {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Check the DNS servers below (dns_config) and that the gateway name exists.',
      details: { fqdn: f.fqdn },
    });
  }
  return pass(
    'gateway_dns',
    `${f.fqdn} resolves (${f.addresses.length} address(es), ${Math.round(f.ms)} ms)`,
    {
      fqdn: f.fqdn,
      addresses: f.addresses.slice(0, 4).join(', '),
    },
  );
}

// ── Tun device, other VPNs, stale routes ─────────────────────────────────────────────────────

export type TunFacts =
  | { readonly platform: 'linux'; readonly present: boolean; readonly charDevice: boolean }
  | { readonly platform: 'other' };

export function tunDeviceCheck(f: TunFacts): DiagnosticCheck {
  if (f.platform !== 'linux') return skip('tun_device', 'checked on Linux only');
  if (!f.present) {
    return problem('tun_device', 'fail', '/dev/net/tun is missing', {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Load the tun module (sudo modprobe tun); in a container, pass the device (--device /dev/net/tun).',
    });
  }
  if (!f.charDevice) {
    return problem('tun_device', 'fail', '/dev/net/tun is not a character device', {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Recreate it: sudo mknod /dev/net/tun c 10 200 (or reboot).',
    });
  }
  return pass('tun_device', '/dev/net/tun present');
}

export interface TunnelFacts {
  readonly interfaces: ReadonlyArray<{ readonly name: string; readonly kind: string }>;
  readonly routes: ReadonlyArray<{ readonly dst: string; readonly dev: string }>;
  /** This daemon's tunnel is up: one tunnel interface and its catch-all routes are its own. */
  readonly tunnelUp: boolean;
  /** Where the list came from ("ip" with routes, "sysfs" names only). */
  readonly source: 'ip' | 'sysfs';
}

export function otherVpnCheck(f: TunnelFacts): DiagnosticCheck {
  const names = f.interfaces.map((i) => `${i.name} (${i.kind})`);
  const own = f.tunnelUp ? 1 : 0;
  const details = { interfaces: cut(names.slice(0, 8).join(', ')), source: f.source };
  if (f.interfaces.length <= own) {
    return pass(
      'other_vpn',
      f.tunnelUp ? 'no tunnel interface besides this one' : 'no tunnel interface',
      details,
    );
  }
  if (f.tunnelUp) {
    return problem(
      'other_vpn',
      'warn',
      `${f.interfaces.length} tunnel interfaces while connected: ${names.join(', ')}`,
      {
        hint: 'Another VPN runs beside this tunnel; its routes may take traffic meant for this one.',
        details,
      },
    );
  }
  return problem('other_vpn', 'fail', `another VPN or tunnel is up: ${names.join(', ')}`, {
    code: 'VIW_E_PREFLIGHT',
    hint: 'Disconnect the other VPN (or remove the interface an earlier session left) before connecting.',
    details,
  });
}

export function staleRoutesCheck(f: TunnelFacts): DiagnosticCheck {
  if (f.source !== 'ip') return skip('stale_routes', 'routes are read by the daemon');
  const list = f.routes.map((r) => `${r.dst} via ${r.dev}`);
  const details = { routes: cut(list.slice(0, 8).join(', ')) };
  if (f.routes.length === 0) return pass('stale_routes', 'no catch-all route through a tunnel interface');
  if (f.tunnelUp)
    return pass('stale_routes', `${f.routes.length} catch-all route(s) through this tunnel`, details);
  return problem(
    'stale_routes',
    'fail',
    `catch-all route(s) through a tunnel while not connected: ${list.join(', ')}`,
    {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Disconnect the other VPN, or delete the routes an earlier session left (sudo ip route del …).',
      details,
    },
  );
}

// ── DNS configuration ────────────────────────────────────────────────────────────────────────

export interface DnsFacts {
  /** resolv.conf could be read. */
  readonly readable: boolean;
  readonly nameservers: readonly string[];
  /** Where /etc/resolv.conf points when it is a symlink (e.g. ../run/systemd/resolve/stub-resolv.conf). */
  readonly linkTarget: string | null;
}

/** Who manages resolv.conf, from its symlink target and its servers. */
export function dnsManager(f: DnsFacts): string {
  const t = f.linkTarget ?? '';
  if (t.includes('systemd/resolve') || f.nameservers.includes('127.0.0.53')) return 'systemd-resolved';
  if (t.includes('NetworkManager')) return 'NetworkManager';
  if (t.includes('resolvconf')) return 'resolvconf';
  return f.linkTarget ? 'symlink' : 'static file';
}

/**
 * The DNS a connected session applied (Status.network.dns), and the resolvers the system uses now as
 * that method sees them (the leak checks' own view: resolv.conf for `file`/`resolvconf`,
 * `resolvectl dns` for systemd-resolved). Null: no pushed DNS in place.
 */
export interface SessionDnsFacts {
  readonly applied: NonNullable<NetworkProtection['dns']>;
  /** Null: the method could not be asked. */
  readonly inUse: readonly string[] | null;
}

export function dnsConfigCheck(f: DnsFacts, session: SessionDnsFacts | null = null): DiagnosticCheck {
  const own = resolvConfCheck(f);
  if (!session || own.status === 'fail') return own;
  const a = session.applied;
  const details = {
    ...own.details,
    session_method: a.method,
    session_servers: a.servers.join(', '),
    search_domains: a.search_domains.join(', '),
    interface: a.interface,
  };
  const search = a.search_domains.length > 0 ? `, search ${a.search_domains.join(' ')}` : '';
  const what = `session DNS ${a.servers.join(', ')} via ${a.method} on ${a.interface}${search}`;
  if (session.inUse === null) {
    return problem('dns_config', 'warn', `${what}; the resolvers in use could not be read`, {
      hint: 'The leak checks read them too: `viworks status` shows their last result.',
      details,
    });
  }
  // As the leak check resolver_changed decides (daemon/engine/leak-check.ts).
  const foreign = session.inUse.filter((x) => !a.servers.includes(x));
  if (foreign.length > 0 || session.inUse.length === 0) {
    return problem(
      'dns_config',
      'fail',
      `${what}, but the system now uses ${session.inUse.length === 0 ? 'no resolver' : foreign.join(', ')}`,
      {
        code: 'VIW_E_LEAK',
        hint: 'Something replaced the session DNS (NetworkManager, DHCP, a user): the leak checks end the session; connect again.',
        details: { ...details, in_use: session.inUse.slice(0, 6).join(', ') },
      },
    );
  }
  return pass('dns_config', `${what}; the system uses only these`, details);
}

function resolvConfCheck(f: DnsFacts): DiagnosticCheck {
  if (!f.readable) {
    return problem('dns_config', 'fail', '/etc/resolv.conf cannot be read', {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Restore /etc/resolv.conf (or start systemd-resolved); names cannot be resolved without it.',
    });
  }
  const manager = dnsManager(f);
  const loopback = f.nameservers.filter((n) => /^127\./.test(n) || n === '::1');
  const details = {
    manager,
    nameservers: f.nameservers.slice(0, 6).join(', '),
    loopback_stub: loopback.length > 0,
  };
  if (f.nameservers.length === 0) {
    return problem('dns_config', 'fail', 'no nameserver in /etc/resolv.conf', {
      code: 'VIW_E_PREFLIGHT',
      hint: 'Configure a DNS server (or start systemd-resolved): the gateway name cannot resolve.',
      details,
    });
  }
  const stub = loopback.length > 0 ? '; a local stub forwards (resolvectl status shows its upstreams)' : '';
  return pass('dns_config', `${f.nameservers.length} nameserver(s), managed by ${manager}${stub}`, details);
}

// ── Kill switch and the last error ───────────────────────────────────────────────────────────

const INSTALL_NFT =
  'Install nftables (sudo apt-get install nftables) and restart viworksd (sudo systemctl restart viworksd)';

/**
 * The daemon's kill switch (KillSwitchInfo) and whether its nftables table is in the kernel now
 * (`installed`; null: not asked). pass: available and on; warn: off, held after a lost session, or
 * `always` not in place; fail (VIW_E_KILL_SWITCH): on but not available (connecting is refused),
 * off while the session's policy requires it, or marked active with its table gone.
 */
export function killSwitchCheck(k: KillSwitchInfo, installed: boolean | null = null): DiagnosticCheck {
  const details = {
    mode: k.mode,
    active: k.active,
    holding: k.holding,
    allow_lan: k.allow_lan,
    available: k.available,
    required: k.required,
    ...(installed === null ? {} : { installed }),
  };
  const code = 'VIW_E_KILL_SWITCH';
  if (k.mode === 'off') {
    if (k.required) {
      return problem(
        'kill_switch',
        'fail',
        "off, but the session's policy requires it: connecting is refused",
        {
          code,
          hint: k.available
            ? 'Turn it on: `viworks killswitch on`.'
            : `${INSTALL_NFT}, then \`viworks killswitch on\`.`,
          details,
        },
      );
    }
    return problem('kill_switch', 'warn', 'off: traffic can leave outside the tunnel when it drops', {
      hint: k.available
        ? 'Turn it on: `viworks killswitch on` (or `always`).'
        : `${INSTALL_NFT}, then \`viworks killswitch on\`.`,
      details,
    });
  }
  if (!k.available) {
    return problem(
      'kill_switch',
      'fail',
      `mode ${k.mode}, but nftables is not available to viworksd: connecting is refused (fail closed)`,
      { code, hint: `${INSTALL_NFT}; or \`viworks killswitch off\`.`, details },
    );
  }
  if (k.active && installed === false) {
    return problem(
      'kill_switch',
      'fail',
      `mode ${k.mode}: its nftables table (inet viworks) is gone from the kernel`,
      {
        code,
        hint: `Something removed it (a firewall reload, nft flush ruleset): \`viworks killswitch ${k.mode === 'always' ? 'always' : 'on'}\` puts it back.`,
        details,
      },
    );
  }
  if (k.active && k.holding === 'after_failure') {
    return problem(
      'kill_switch',
      'warn',
      `mode ${k.mode}: held after a lost session, traffic outside the tunnel is blocked`,
      { hint: '`viworks disconnect` releases it (or connect again).', details },
    );
  }
  if (k.active) {
    return pass(
      'kill_switch',
      k.holding === 'always'
        ? 'mode always: active between sessions (only the backend and the system resolvers get out)'
        : `mode ${k.mode}: active, protecting the session`,
      details,
    );
  }
  if (k.mode === 'always') {
    return problem('kill_switch', 'warn', 'mode always, but not in place now', {
      hint: 'See `viworks logs`; set it again: `viworks killswitch always`.',
      details,
    });
  }
  return pass('kill_switch', 'mode session: goes up at the next connect', details);
}

export function lastErrorCheck(f: {
  readonly state: Status['state'];
  readonly lastError: Status['last_error'];
}): DiagnosticCheck {
  const e = f.lastError;
  if (!e) return pass('last_error', 'none', { state: f.state });
  return problem('last_error', 'warn', `${e.code}: ${e.message}`, {
    code: e.code,
    hint: e.hint,
    details: { state: f.state },
  });
}

/** Every string of the checks redacted, then bounded again (a redacted address is longer). */
export function redactChecks(checks: readonly DiagnosticCheck[], redact: Redactor): DiagnosticCheck[] {
  const bound = (v: unknown) => (typeof v === 'string' ? cut(v) : v);
  return redactDeep(checks, redact).map((c) => ({
    ...c,
    summary: cut(c.summary),
    ...(c.hint === undefined ? {} : { hint: cut(c.hint) }),
    ...(c.details === undefined
      ? {}
      : {
          details: Object.fromEntries(
            Object.entries(c.details).map(([k, v]) => [k, bound(v)]),
          ) as NonNullable<DiagnosticCheck['details']>,
        }),
  }));
}

/** The checks of a daemon that could not be asked: each one skipped, saying why. */
export function unavailable(ids: readonly string[], why: string): DiagnosticCheck[] {
  return ids.map((id) => skip(id, why));
}
