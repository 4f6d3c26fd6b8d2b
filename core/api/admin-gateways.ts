// Wire contract of /admin/gateways (docs/gateways.md): registering a gateway node (its SSH address and
// pinned host key — never trusted on first use), provisioning it, its health, and the backend's SSH
// control key for the node's authorized_keys. Objects are closed; times are ISO-8601 UTC.
import { type Static, type TSchema, Type } from 'typebox';
import { GatewaySettings, HealthResult } from '../gateway/control.js';
import { Id } from './admin.js';
import { closed } from './common.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({
  maxLength: 30,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
});

export const GATEWAY_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const GatewayName = Type.String({ minLength: 1, maxLength: 63, pattern: GATEWAY_NAME_PATTERN });
/** What `ssh-keygen -lf` prints for a key: `SHA256:` + 43 unpadded base64 characters. */
export const HostKeyFingerprint = Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}$' });
const IpAddress = Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' });
/** A DNS name or an IP literal (no port, no brackets). */
const SshHost = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' });
const SshUser = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z_][a-z0-9_-]{0,31}$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const P = GatewaySettings.properties;

export const GATEWAY_STATUSES = ['pending', 'active', 'draining', 'disabled'] as const;
export const DEFAULT_VPN_NETWORK = '10.8.0.0/24';
/** fwknopd keeps 443 open this long after a valid SPA packet (architecture: ≤ 20 s). */
export const DEFAULT_FW_ACCESS_TIMEOUT_S = 15;

/** The node settings stored on the gateway row; fqdn and the ports come from the row and profile. */
export const GatewayRowSettings = Type.Object(
  {
    vpn_network: P.vpn_network,
    push_routes: P.push_routes,
    push_dns: P.push_dns,
    redirect_gateway: P.redirect_gateway,
    backend_cidrs: P.backend_cidrs,
    fw_access_timeout_s: P.fw_access_timeout_s,
  },
  closed,
);
export type GatewayRowSettingsT = Static<typeof GatewayRowSettings>;

/** What `add` takes: only the backend's addresses are required; the rest have defaults. */
export const AddGatewaySettings = Type.Object(
  {
    backend_cidrs: P.backend_cidrs,
    vpn_network: Type.Optional(P.vpn_network),
    push_routes: Type.Optional(P.push_routes),
    push_dns: Type.Optional(P.push_dns),
    redirect_gateway: Type.Optional(P.redirect_gateway),
    fw_access_timeout_s: Type.Optional(P.fw_access_timeout_s),
  },
  closed,
);

export const AddGatewayBody = Type.Object(
  {
    name: GatewayName,
    fqdn: P.fqdn,
    /** Addresses the front door listens on (informational; DNS names the gateway). */
    addresses: Type.Array(IpAddress, { minItems: 1, maxItems: 8, uniqueItems: true }),
    ssh_host: SshHost,
    ssh_port: Port,
    ssh_user: Type.Optional(SshUser),
    ssh_host_key_fingerprint: HostKeyFingerprint,
    settings: AddGatewaySettings,
  },
  closed,
);
export type AddGatewayBodyT = Static<typeof AddGatewayBody>;

export const GatewayNameParams = Type.Object({ name: GatewayName }, closed);

export const GatewayView = Type.Object(
  {
    id: Id,
    name: Type.String({ maxLength: 64 }),
    fqdn: Type.String({ maxLength: 253 }),
    addresses: Type.Array(Type.String({ maxLength: 45 })),
    status: Type.Enum(GATEWAY_STATUSES),
    ssh_host: Type.String({ maxLength: 253 }),
    ssh_port: Port,
    ssh_user: Type.String({ maxLength: 32 }),
    /** Empty until registered. */
    ssh_host_key_fingerprint: Type.String({ maxLength: 64 }),
    /** null until registered. */
    settings: Nullable(GatewayRowSettings),
    config_id: Nullable(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    provisioned_at: Nullable(IsoTime),
    last_health_at: Nullable(IsoTime),
    last_health_ok: Nullable(Type.Boolean()),
    created_at: IsoTime,
  },
  closed,
);
export type GatewayViewT = Static<typeof GatewayView>;

export const GatewayViewReply = Type.Object({ gateway: GatewayView }, closed);
export const ListGatewaysReply = Type.Object({ gateways: Type.Array(GatewayView) }, closed);

export const ProvisionGatewayReply = Type.Object(
  {
    gateway: GatewayView,
    /** Whether apply_config changed anything on the node. */
    changed: Type.Boolean(),
    /** Devices whose SPA keys were (re)installed. */
    spa_keys_synced: Type.Integer({ minimum: 0 }),
  },
  closed,
);

export const GatewayHealthReply = Type.Object(
  {
    gateway: GatewayView,
    health: HealthResult,
    /** The node runs another configuration than the one the backend last applied. */
    config_drift: Type.Boolean(),
    /**
     * Whether every live session of this gateway has its current policy version in force on the
     * node (session_filter, docs/policies.md#on-the-gateway); null from a node that does not report
     * its forwarding table.
     */
    policy_in_effect: Type.Union([
      Type.Object(
        {
          in_effect: Type.Boolean(),
          table_loaded: Type.Boolean(),
          /** Live sessions (wire ids) whose version on the node is another one, or none. */
          behind: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 1000 }),
        },
        closed,
      ),
      Type.Null(),
    ]),
  },
  closed,
);

/** The backend's control key as one authorized_keys-style line; never the private key. */
export const ControlKeyReply = Type.Object(
  {
    public_key: Type.String({ maxLength: 200, pattern: '^ssh-ed25519 [A-Za-z0-9+/]+={0,2} [\\x21-\\x7e]+$' }),
  },
  closed,
);

export type ProvisionGatewayReplyT = Static<typeof ProvisionGatewayReply>;
export type GatewayHealthReplyT = Static<typeof GatewayHealthReply>;
