// The backend ↔ gateway control protocol (docs/architecture.md#ssh-control-plane): what the backend may
// ask a gateway node over SSH (port 2222, control key restricted by `command=` to `viworks-gw`),
// and what it answers.
//
// Wire shape, version 1:
// - The request line is SSH_ORIGINAL_COMMAND: `<verb> [arg…]`, single spaces, printable ASCII, ≤ 256
//   characters; every argument matches its verb's grammar below. Nothing else is ever parsed from it.
// - Secrets and bulk data never travel on the command line (sshd may log it): they come on the exec
//   channel's stdin as one JSON document (≤ MAX_STDIN_BYTES), validated against the verb's schema.
// - The answer is one JSON line on stdout (GatewayReply) and the exit status: 0 ok, 1 the operation
//   failed, 2 the request is invalid (not allowlisted, bad grammar, bad stdin). Every request — valid or
//   not, a shell request included — leaves one line in the gateway's own audit log.
// - Every verb is idempotent: repeating it converges on the same state and says `changed: false`.
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../schema/strict.js';
import { BrowserSpawnInput } from './browser.js';
import { END_CURSOR, LOG_CURSOR } from './dataplane/cursor.js';

export const CONTROL_PROTOCOL_VERSION = 1;
export const MAX_COMMAND_CHARS = 256;
/** Largest stdin document (an apply_config bundle with certificates and a CRL fits easily). */
export const MAX_STDIN_BYTES = 1024 * 1024;
/** The SSH port the gateway's sshd listens on for the control plane (docs/architecture.md#gateway-ports). */
export const GATEWAY_SSH_PORT = 2222;

/** Exit statuses of viworks-gw. */
export const GW_EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

/** A device's fwknop username (`d-` + 32 hex), as in access.conf and in the bootstrap. */
export const DEVICE_WIRE_ID = '^d-[0-9a-f]{32}$';
/** A session's wire id (`s-` + 32 hex): the CN of its per-session OpenVPN client certificate. */
export const SESSION_WIRE_ID = '^s-[0-9a-f]{32}$';
/** A policy's wire id (`p-` + 32 hex, or `p-default` for the built-in default policy). */
export const POLICY_WIRE_ID = '^p-([0-9a-f]{32}|default)$';
/**
 * Log sources pull_logs may read. `hello`: the front door's ClientHello fingerprints, one JSON line
 * per connection (core/tls/front-door-hello.ts), read forward with a cursor like the daemons' logs.
 */
export const LOG_SOURCES = ['audit', 'openvpn', 'fwknopd', 'stunnel', 'hello'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

/**
 * The allowlist and each verb's argument grammar (one regex per positional argument) and whether it
 * reads a stdin document. Anything not in this table is `invalid`.
 */
export const CONTROL_VERBS = {
  health: { args: [], stdin: false },
  spa_key_add: { args: [DEVICE_WIRE_ID], stdin: true },
  spa_key_remove: { args: [DEVICE_WIRE_ID], stdin: false },
  vpn_user_create: { args: [SESSION_WIRE_ID], stdin: true },
  // session_open <session> [<device>]: a bootstrap's gateway step in one command (SessionOpenInput).
  session_open: { args: [SESSION_WIRE_ID, DEVICE_WIRE_ID], stdin: true },
  vpn_user_delete: { args: [SESSION_WIRE_ID], stdin: false },
  update_ccd: { args: [SESSION_WIRE_ID], stdin: true },
  session_filter: { args: [SESSION_WIRE_ID], stdin: true },
  crl_update: { args: [], stdin: true },
  terminate_session: { args: [SESSION_WIRE_ID], stdin: false },
  // pull_logs <source> <max_lines 1..5000> [<after>]: for the audit source `after` is a sequence
  // number; for fwknopd/stunnel/openvpn/hello a cursor (dataplane/cursor.ts) or `end`. The verb
  // refuses the form that does not fit its source.
  pull_logs: {
    args: [
      `^(${LOG_SOURCES.join('|')})$`,
      '^([1-9][0-9]{0,2}|[1-4][0-9]{3}|5000)$',
      `^([0-9]{1,15}|${END_CURSOR}|${LOG_CURSOR.slice(1, -1)})$`,
    ],
    stdin: false,
  },
  apply_config: { args: [], stdin: true },
  // Isolated browser sessions (core/gateway/browser.ts): the viewer of one authorized session.
  browser_spawn: { args: [SESSION_WIRE_ID], stdin: true },
  browser_terminate: { args: [SESSION_WIRE_ID], stdin: false },
} as const satisfies Record<string, { readonly args: readonly string[]; readonly stdin: boolean }>;

export type ControlVerb = keyof typeof CONTROL_VERBS;
/** Verbs whose last argument may be left out. */
export const OPTIONAL_TRAILING_ARGS: Partial<Record<ControlVerb, number>> = { pull_logs: 1, session_open: 1 };

// ---- stdin documents ----------------------------------------------------------------------------

const B64 = (min: number, max: number) =>
  Type.String({ minLength: min, maxLength: max, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
const Cidr = Type.String({
  maxLength: 43,
  pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/([0-9]|[12][0-9]|3[0-2])$',
});
const Pem = (label: string, max: number) =>
  Type.String({
    maxLength: max,
    pattern: `^-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n?`,
  });

/** spa_key_add: fwknop keys of one device (32-byte AES key, 64-byte HMAC-SHA256 key), base64. */
export const SpaKeyAddInput = Type.Object({ key_base64: B64(44, 44), hmac_key_base64: B64(88, 88) }, closed);
export type SpaKeyAddInput = Static<typeof SpaKeyAddInput>;

/**
 * vpn_user_create / update_ccd: the client-config-dir entry for one session's certificate CN. The
 * gateway runs OpenVPN with `ccd-exclusive`, so a certificate without an entry is refused even when the
 * CA signed it: the backend authorizes each session on the gateway explicitly.
 */
export const CcdInput = Type.Object(
  {
    /** Routes pushed to this client in addition to the server's (policy). */
    push_routes: Type.Array(Cidr, { maxItems: 64 }),
    /** Unix seconds after which the gateway refuses the CN even if the backend never deletes it. */
    expires_at: Type.Integer({ minimum: 0, maximum: 2 ** 40 }),
  },
  closed,
);
export type CcdInput = Static<typeof CcdInput>;

/** Largest number of networks one session's forwarding rules may name. */
export const MAX_SESSION_NETWORKS = 64;

/** Which policy version a session's forwarding rules come from (`p-…` wire id + version). */
export const PolicyTag = Type.Object(
  {
    policy_id: Type.String({ maxLength: 34, pattern: POLICY_WIRE_ID }),
    version: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
  },
  closed,
);
export type PolicyTag = Static<typeof PolicyTag>;

/**
 * session_filter: what one session may reach through the gateway (architecture §6.3, "apply delta").
 * The node forwards from the session's VPN address only to `networks` (IPv4 CIDRs in canonical
 * form — no host bits, no leading zeros, no /0, no two overlapping — checked by the node, which
 * refuses the whole document otherwise) or anywhere (`"unrestricted"`), plus DNS to the resolvers
 * it pushes. It replaces the session's previous rules and only them; the session must already be
 * authorized (vpn_user_create) — this verb never authorizes one. A document of the same policy
 * with a lower version than the one in effect is refused (VIW_E_CONFLICT): it is a stale retry.
 */
export const SessionFilterInput = Type.Object(
  {
    policy: PolicyTag,
    networks: Type.Union([
      Type.Array(Cidr, { maxItems: MAX_SESSION_NETWORKS }),
      Type.Literal('unrestricted'),
    ]),
    /** Unix seconds; the session's expiry (as update_ccd sets it), also enforced by the kernel rule. */
    expires_at: Type.Integer({ minimum: 0, maximum: 2 ** 40 }),
  },
  closed,
);
export type SessionFilterInput = Static<typeof SessionFilterInput>;

/**
 * session_open <session> [<device>]: what a bootstrap needs from the session's gateway, in one
 * command under one node lock (issue #19: one SSH exec on the connect path instead of three): the
 * device's SPA keys (`spa`, exactly when the device argument is given) as spa_key_add, the session's
 * authorization (`ccd`) as vpn_user_create, then its forwarding (`filter`) as session_filter. Each
 * step keeps its verb's rules; the first that fails fails the command (the backend ends the session).
 */
export const SessionOpenInput = Type.Object(
  { spa: Type.Optional(SpaKeyAddInput), ccd: CcdInput, filter: SessionFilterInput },
  closed,
);
export type SessionOpenInput = Static<typeof SessionOpenInput>;

/** crl_update: the CRLs OpenVPN (`crl-verify`) and stunnel (`CRLfile`) check client certificates with. */
export const CrlUpdateInput = Type.Object(
  { crl_pem: Type.Array(Pem('X509 CRL', 512 * 1024), { minItems: 1, maxItems: 4 }) },
  closed,
);
export type CrlUpdateInput = Static<typeof CrlUpdateInput>;

/** A DNS name (letters, digits, hyphens; dot-separated labels) as a certificate names its host. */
const DNS_NAME =
  '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
/** A DNS name, an IPv4 literal (a DNS_NAME too) or an IPv6 literal (no brackets, no zone). */
const SIEM_HOST = `(${DNS_NAME})|(^[0-9A-Fa-f:.]{2,45}$)`;

/**
 * Where the node ships its own logs (pki-siem §4.4, primary path): its audit log and its daemons'
 * logs go to the SIEM's syslog receiver over TLS 1.3 with mutual authentication (RFC 5425 framing,
 * RFC 5424 messages), through a disk queue on the node while the SIEM is unreachable. The backend
 * fills it from its own `siem.syslog` configuration; absent: the node runs no forwarder.
 */
export const GatewaySiemSettings = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, pattern: SIEM_HOST }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** The name the receiver's certificate must carry (subjectAltName dNSName, or CN without one). */
    server_name: Type.String({ minLength: 1, maxLength: 253, pattern: DNS_NAME }),
    /** Most bytes the node's queue may hold on disk while the SIEM is unreachable. */
    queue_max_bytes: Type.Integer({ minimum: 1024 * 1024, maximum: 64 * 1024 ** 3 }),
  },
  closed,
);
export type GatewaySiemSettings = Static<typeof GatewaySiemSettings>;

/**
 * apply_config: the node's configuration as typed settings plus the PKI material it needs. The backend
 * never sends configuration text or paths: the gateway renders fwknopd.conf, access.conf, stunnel,
 * OpenVPN and iptables from these values with its own renderers (gateway/render) and its node-local
 * facts (interfaces, listen address, paths), so a compromised backend cannot inject a directive or
 * write outside the files the gateway owns.
 */
export const GatewaySettings = Type.Object(
  {
    fqdn: Type.String({
      maxLength: 253,
      pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$',
    }),
    tls_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    spa_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** How long fwknopd keeps 443 open for an authorized source (architecture: ≤ 20 s). */
    fw_access_timeout_s: Type.Integer({ minimum: 1, maximum: 20 }),
    /** OpenVPN client address pool, e.g. 10.8.0.0/24 (the gateway takes the first address). */
    vpn_network: Cidr,
    /** Routes pushed to every client besides redirect-gateway (policy). */
    push_routes: Type.Array(Cidr, { maxItems: 64 }),
    /** DNS servers pushed to clients. */
    push_dns: Type.Array(Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' }), { maxItems: 4 }),
    redirect_gateway: Type.Boolean(),
    /** Sources allowed to reach the SSH control port (iptables baseline). */
    backend_cidrs: Type.Array(Cidr, { minItems: 1, maxItems: 16 }),
    /** Log shipping to the SIEM; absent: none (a running forwarder is stopped and removed). */
    siem: Type.Optional(GatewaySiemSettings),
  },
  closed,
);
export type GatewaySettings = Static<typeof GatewaySettings>;

/**
 * The node's side of mutual TLS with the SIEM: the CA bundle the receiver's certificate must chain
 * to, and the node's own client certificate (leaf first, EKU clientAuth; issued by the backend
 * from int-tls) with its key.
 */
export const GatewaySiemMaterial = Type.Object(
  {
    ca_pem: Type.String({ maxLength: 64 * 1024 }),
    cert_pem: Type.String({ maxLength: 64 * 1024 }),
    key_pem: Type.String({ maxLength: 16 * 1024 }),
  },
  closed,
);
export type GatewaySiemMaterial = Static<typeof GatewaySiemMaterial>;

export const GatewayMaterialInput = Type.Object(
  {
    /** Front-door certificate chain (leaf first) and key, for stunnel. */
    tls_cert_pem: Type.String({ maxLength: 64 * 1024 }),
    tls_key_pem: Type.String({ maxLength: 16 * 1024 }),
    /** CA bundle client certificates are verified against (int-vpn + root), for stunnel and OpenVPN. */
    client_ca_pem: Type.String({ maxLength: 64 * 1024 }),
    openvpn_cert_pem: Type.String({ maxLength: 64 * 1024 }),
    openvpn_key_pem: Type.String({ maxLength: 16 * 1024 }),
    tls_crypt_key: Type.String({ maxLength: 4096 }),
    crl_pem: Type.Array(Pem('X509 CRL', 512 * 1024), { minItems: 1, maxItems: 4 }),
    /** Present exactly when settings.siem is. */
    siem: Type.Optional(GatewaySiemMaterial),
  },
  closed,
);
export type GatewayMaterialInput = Static<typeof GatewayMaterialInput>;

export const ApplyConfigInput = Type.Object(
  {
    /** sha256 hex of the canonical settings + material, echoed by health so the backend sees drift. */
    config_id: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    settings: GatewaySettings,
    material: GatewayMaterialInput,
  },
  closed,
);
export type ApplyConfigInput = Static<typeof ApplyConfigInput>;

export const GATEWAY_SERVICES = ['fwknopd', 'stunnel', 'openvpn'] as const;
export type GatewayService = (typeof GATEWAY_SERVICES)[number];
/** The node's log forwarder (rsyslogd): runs only while apply_config carries a `siem` section. */
export const SIEM_FORWARDER = 'rsyslog';
/** Every daemon the node may run: the three it always runs, and the forwarder. */
export type NodeService = GatewayService | typeof SIEM_FORWARDER;

// ---- replies --------------------------------------------------------------------------------------

export const ServiceHealth = Type.Object(
  { running: Type.Boolean(), pid: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) },
  closed,
);

const Ipv4Address = Type.String({ maxLength: 15, pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' });

/**
 * session_filter's ack: the tag now in effect for the session, its pinned VPN address (null until
 * the node has a VPN pool, i.e. before the first apply_config) and whether its rules are in the
 * kernel (false only while the address is unknown; they are installed when it is assigned).
 */
export const SessionFilterResult = Type.Object(
  {
    session: Type.String({ pattern: SESSION_WIRE_ID }),
    policy: PolicyTag,
    address: Type.Union([Ipv4Address, Type.Null()]),
    installed: Type.Boolean(),
    networks: Type.Union([Type.Integer({ minimum: 0 }), Type.Literal('unrestricted')]),
    expires_at: Type.Integer({ minimum: 0 }),
  },
  closed,
);
export type SessionFilterResult = Static<typeof SessionFilterResult>;

/** One authorized session's forwarding state, as health reports it. */
export const SessionForwarding = Type.Object(
  {
    session: Type.String({ pattern: SESSION_WIRE_ID }),
    /** The VPN address pinned in its CCD (ifconfig-push); null before the node has a pool. */
    address: Type.Union([Ipv4Address, Type.Null()]),
    /** The tag of its rules; null: no session_filter yet, the node's push_routes apply. */
    policy: Type.Union([PolicyTag, Type.Null()]),
  },
  closed,
);
export type SessionForwarding = Static<typeof SessionForwarding>;

export const HealthResult = Type.Object(
  {
    version: Type.String({ maxLength: 32 }),
    config_id: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
    services: Type.Object(
      {
        fwknopd: ServiceHealth,
        stunnel: ServiceHealth,
        openvpn: ServiceHealth,
        /** The SIEM forwarder, only while one is configured (settings.siem). */
        rsyslog: Type.Optional(ServiceHealth),
        /** The data-plane normalizer (viworks-gw-observe), only while the forwarder runs. */
        observer: Type.Optional(ServiceHealth),
        /**
         * The front door's ClientHello capture (viworks-gw-frontdoor), once a configuration was
         * applied; optional: older nodes do not run it.
         */
        front_door: Type.Optional(ServiceHealth),
        /** The isolated browsers' viewer (nginx, issue #18), only while some session has a browser. */
        viewer: Type.Optional(ServiceHealth),
      },
      closed,
    ),
    /** Common names of the clients OpenVPN has connected now (from the management interface). */
    sessions: Type.Array(Type.String({ pattern: SESSION_WIRE_ID }), { maxItems: 10_000 }),
    spa_keys: Type.Integer({ minimum: 0 }),
    /**
     * Per-session forwarding rules (session_filter): whether the node's nftables table is in the
     * kernel, and per authorized session its address and policy tag, sorted by session. Optional:
     * nodes older than session_filter do not send it.
     */
    forwarding: Type.Optional(
      Type.Object(
        {
          table_loaded: Type.Boolean(),
          sessions: Type.Array(SessionForwarding, { maxItems: 10_000 }),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type HealthResult = Static<typeof HealthResult>;

export const GatewayReply = Type.Object(
  {
    v: Type.Literal(CONTROL_PROTOCOL_VERSION),
    ok: Type.Boolean(),
    cmd: Type.String({ maxLength: 32 }),
    /** What the verb did; `changed: false` when the state was already as asked. */
    changed: Type.Optional(Type.Boolean()),
    /**
     * Verb-specific data (health: HealthResult; session_filter: SessionFilterResult;
     * terminate_session: {killed}; browser_spawn: BrowserSpawnResult; browser_terminate:
     * BrowserTerminateResult; pull_logs: {lines, next_seq}, plus with a data-plane cursor
     * dataplane/cursor.ts DataplanePullResult).
     */
    result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(
      Type.Object(
        {
          code: Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$' }),
          message: Type.String({ maxLength: 256 }),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type GatewayReply = Static<typeof GatewayReply>;
export const gatewayReply = strictValidator(GatewayReply);
export const healthResult = strictValidator(HealthResult);
export const spaKeyAddInput = strictValidator(SpaKeyAddInput);
export const ccdInput = strictValidator(CcdInput);
export const sessionFilterInput = strictValidator(SessionFilterInput);
export const sessionFilterResult = strictValidator(SessionFilterResult);
export const sessionOpenInput = strictValidator(SessionOpenInput);
export const crlUpdateInput = strictValidator(CrlUpdateInput);
export const applyConfigInput = strictValidator(ApplyConfigInput);
export const browserSpawnInput = strictValidator(BrowserSpawnInput);
