// Server configuration: defaults < optional JSON file (VIWORKS_CONFIG or --config) < environment.
// Validated as a whole at start (fail closed with the setting's name); printed only redacted.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../core/errors/viworks-error.js';
import { closed, strictValidator } from '../core/schema/strict.js';

const HostOrIp = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' });

export const ServerConfigSchema = Type.Object(
  {
    /** development accepts unattested phones (flagged); production never does (lessons.md). */
    mode: Type.Enum(['production', 'development']),
    dataDir: Type.String({ minLength: 1, maxLength: 4096 }),
    listenHost: HostOrIp,
    listenPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Names and addresses the backend-api certificate covers (what clients dial). */
    publicNames: Type.Array(HostOrIp, { minItems: 1, maxItems: 16 }),
    databaseUrl: Type.Union([Type.String({ pattern: '^(file:|postgres(ql)?://)' }), Type.Null()]),
    redisUrl: Type.Union([Type.String({ pattern: '^rediss?://' }), Type.Null()]),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug']),
    /** The gateway front door clients dial (sealed into the bootstrap); never an IP literal. */
    gatewayFqdn: Type.String({
      maxLength: 253,
      pattern: '^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\\.[A-Za-z][A-Za-z0-9-]*$',
    }),
    /** Longest a VPN session (and its client certificate, ≤ 1 day) lives. */
    sessionLifetimeS: Type.Integer({ minimum: 300, maximum: 86400 }),
    /** A session with no heartbeat for this long ends (docs/architecture.md#idle-logout-and-revocation). */
    idleTimeoutS: Type.Integer({ minimum: 60, maximum: 86400 }),
    /** How often active gateways are asked for health and their audit log is pulled. */
    gatewayPollIntervalS: Type.Integer({ minimum: 5, maximum: 3600 }),
    /**
     * Trust roots of phone attestation (PEM bundle files), per WebAuthn format. Nothing is accepted
     * by default: a format without roots is refused (server/services/mobile/attestation/policy.ts).
     */
    attestationRoots: Type.Object(
      {
        packed: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        'android-key': Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        'android-safetynet': Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        apple: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        tpm: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      },
      closed,
    ),
    /** The phone app's origin for WebAuthn; default https://<first public name>[:<listen port>]. */
    phoneOrigin: Type.Union([
      Type.String({ maxLength: 300, pattern: '^https://[A-Za-z0-9.:\\[\\]-]+$' }),
      Type.Null(),
    ]),
    audit: Type.Object(
      {
        env: Type.String({ maxLength: 32 }),
        site: Type.String({ maxLength: 64 }),
        tenant: Type.String({ maxLength: 64 }),
      },
      closed,
    ),
  },
  closed,
);

export type ServerConfig = Static<typeof ServerConfigSchema>;

const validator = strictValidator(ServerConfigSchema);

/** Per-user by default; the system location when run as root (documented in the README). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/viworks-server';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'viworks-server');
}

function defaults(env: NodeJS.ProcessEnv): ServerConfig {
  return {
    mode: 'production',
    dataDir: defaultDataDir(env),
    listenHost: '127.0.0.1',
    listenPort: 8443,
    publicNames: ['localhost', '127.0.0.1'],
    databaseUrl: null,
    redisUrl: null,
    logLevel: 'info',
    gatewayFqdn: 'gw.viworks.internal',
    sessionLifetimeS: 8 * 3600,
    idleTimeoutS: 15 * 60,
    gatewayPollIntervalS: 30,
    attestationRoots: {},
    phoneOrigin: null,
    audit: { env: 'prod', site: 'default', tenant: 'default' },
  };
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') out[key] = value;
  };
  set('mode', env.VIWORKS_MODE);
  set('dataDir', env.VIWORKS_DATA_DIR);
  set('listenHost', env.VIWORKS_LISTEN_HOST);
  set('listenPort', env.VIWORKS_LISTEN_PORT === undefined ? undefined : Number(env.VIWORKS_LISTEN_PORT));
  set(
    'publicNames',
    env.VIWORKS_PUBLIC_NAMES?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  set('databaseUrl', env.DATABASE_URL);
  set('redisUrl', env.REDIS_URL);
  set('logLevel', env.VIWORKS_LOG_LEVEL);
  set('gatewayFqdn', env.VIWORKS_GATEWAY_FQDN);
  const int = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  set('sessionLifetimeS', int(env.VIWORKS_SESSION_LIFETIME_S));
  set('idleTimeoutS', int(env.VIWORKS_IDLE_TIMEOUT_S));
  set('gatewayPollIntervalS', int(env.VIWORKS_GATEWAY_POLL_INTERVAL_S));
  set('phoneOrigin', env.VIWORKS_PHONE_ORIGIN);
  // VIWORKS_ATTESTATION_ROOTS=packed=/etc/viworks/attestation-root.pem,apple=/etc/…/apple.pem
  set(
    'attestationRoots',
    env.VIWORKS_ATTESTATION_ROOTS === undefined || env.VIWORKS_ATTESTATION_ROOTS === ''
      ? undefined
      : Object.fromEntries(
          env.VIWORKS_ATTESTATION_ROOTS.split(',').map((pair) => {
            const at = pair.indexOf('=');
            return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
          }),
        ),
  );
  return out;
}

function fromFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ViworksError('VIW_E_CONFIG', { details: [`config file not readable: ${path}`] });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ViworksError('VIW_E_CONFIG', { details: [`config file is not a JSON object: ${path}`] });
  }
}

export function loadConfig(opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): ServerConfig {
  const env = opts.env ?? process.env;
  const merged = { ...defaults(env), ...fromFile(opts.file ?? env.VIWORKS_CONFIG), ...fromEnv(env) };
  return validator.parse(merged, 'VIW_E_CONFIG');
}

/** The configuration as safe to print: credentials inside URLs replaced. */
export function redactConfig(config: ServerConfig): ServerConfig {
  const redactUrl = (url: string | null) => (url === null ? null : url.replace(/\/\/([^@/]*)@/, '//***@'));
  return { ...config, databaseUrl: redactUrl(config.databaseUrl), redisUrl: redactUrl(config.redisUrl) };
}
