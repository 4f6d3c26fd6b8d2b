// Server configuration: defaults < optional JSON file (VIWORKS_CONFIG or --config) < environment.
// Validated as a whole at start (fail closed with the setting's name); printed only redacted.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { DOMAIN_NAME_PATTERN } from '../core/bootstrap/payload.js';
import { ViworksError } from '../core/errors/viworks-error.js';
import { closed, strictValidator } from '../core/schema/strict.js';
import { JA3_PATTERN, JA4_PATTERN } from '../core/tls/fingerprints.js';
import { METRICS_DEFAULTS, MetricsSettingsSchema } from './metrics/settings.js';
import {
  DEFAULT_DETECTION_SETTINGS,
  DetectionSettingsSchema,
  mergeDetectionSettings,
} from './services/detections/settings.js';
import {
  AlertWebhookSettingsSchema,
  DEFAULT_ALERT_WEBHOOK_SETTINGS,
  parseAlertWebhookSettings,
} from './services/detections/webhook.js';

const HostOrIp = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' });
const Ipv4 = Type.String({
  pattern: '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$',
});
const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
/** A known client's TLS fingerprint: JA4 (preferred) or JA3. */
const TlsFingerprint = Type.Union([
  Type.String({ pattern: JA4_PATTERN }),
  Type.String({ pattern: JA3_PATTERN }),
]);
const CertDigest = Type.String({
  pattern: '^([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}|[0-9A-Fa-f]{64}|[A-Za-z0-9+/_-]{43}=?)$',
});

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
    /**
     * MaxMind DB files (GeoLite2/GeoIP2 Country or City; GeoLite2 ASN or GeoIP2 ISP; ip-location-db
     * or IPinfo MMDBs) for a source's country and AS (server/services/geo/, docs/geo.md); read at
     * start. A configured file outranks one installed by `viworks-server geo install`, which
     * outranks the bundled data; null: the next of those.
     */
    geoipCountryDb: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
    geoipAsnDb: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
    /**
     * JSON file of address ranges with their country and AS, asked before any database, also for
     * private addresses (docs/geo.md#extra-ranges); a bad file stops the start. Null: none.
     */
    geoExtraRanges: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
    /** The gateway front door clients dial (sealed into the bootstrap); never an IP literal. */
    gatewayFqdn: Type.String({
      maxLength: 253,
      pattern: '^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\\.[A-Za-z][A-Za-z0-9-]*$',
    }),
    /** Longest a VPN session (and its client certificate, ≤ 1 day) lives. */
    sessionLifetimeS: Type.Integer({ minimum: 300, maximum: 86400 }),
    /** A session with no heartbeat for this long ends (docs/architecture.md#idle-logout-and-revocation). */
    idleTimeoutS: Type.Integer({ minimum: 60, maximum: 86400 }),
    /**
     * What connected clients resolve with (sealed into every bootstrap; the client restores the
     * machine's own resolver on disconnect): IPv4 resolvers reachable through the tunnel and search
     * domains. Checked here as strictly as the client checks them, so a hostile value (a newline, an
     * `options` line, an overlong name) stops the start instead of reaching any client.
     */
    dns: Type.Object(
      {
        servers: Type.Array(Ipv4, { maxItems: 3 }),
        searchDomains: Type.Array(Type.String({ maxLength: 254, pattern: DOMAIN_NAME_PATTERN }), {
          maxItems: 6,
        }),
      },
      closed,
    ),
    /** Clients refuse to connect with their kill switch off (bootstrap policy.kill_switch `required`). */
    requireKillSwitch: Type.Boolean(),
    /**
     * Enrollment refuses a desktop whose keys are software-protected (key_protection `software`) with
     * VIW_E_HARDWARE_KEY_REQUIRED; devices already enrolled are not affected. The protection is the
     * client's claim (no TPM attestation yet): this keeps honest software clients out, it proves nothing.
     */
    requireHardwareKey: Type.Boolean(),
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
    /**
     * The native iOS app's App Attest (server/services/mobile/attestation/app-attest.ts); null: App
     * Attest evidence is refused. rootFile: Apple's App Attestation Root CA (PEM), never compiled in.
     * environment `development` (Xcode builds) is refused in production mode.
     */
    appAttest: Type.Union([
      Type.Object(
        {
          appId: Type.String({ maxLength: 165, pattern: '^[A-Z0-9]{10}\\.[A-Za-z0-9][A-Za-z0-9.-]{0,154}$' }),
          environment: Type.Enum(['production', 'development']),
          rootFile: FilePath,
        },
        closed,
      ),
      Type.Null(),
    ]),
    /**
     * The native Android app's Play Integrity verdicts (attestation/play-integrity.ts), decrypted and
     * verified here with the Play Console keys, read from files (never from the environment or argv);
     * null: Play Integrity evidence is refused.
     */
    playIntegrity: Type.Union([
      Type.Object(
        {
          packageName: Type.String({
            maxLength: 255,
            pattern: '^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)+$',
          }),
          /** SHA-256 of the app signing certificate(s): hex as the Play Console shows it, or base64. */
          certificateDigests: Type.Array(CertDigest, { minItems: 1, maxItems: 16 }),
          /** File holding the Play Console decryption key (base64 of 32 bytes). */
          decryptionKeyFile: FilePath,
          /** File holding the Play Console verification key (base64 DER, or a PEM public key). */
          verificationKeyFile: FilePath,
          /** Oldest verdict accepted (its requestDetails.timestampMillis). */
          maxAgeS: Type.Integer({ minimum: 10, maximum: 600 }),
          /** The device label a verdict must carry; MEETS_STRONG_INTEGRITY also needs hardware-backed boot. */
          requiredDeviceVerdict: Type.Enum(['MEETS_DEVICE_INTEGRITY', 'MEETS_STRONG_INTEGRITY']),
        },
        closed,
      ),
      Type.Null(),
    ]),
    /**
     * The built phone app (mobile/app → `npm run build` → dist/phone-app) served at /phone/. Null:
     * that default place, if built (else /phone/ answers 404); a configured folder must load.
     */
    phoneAppDir: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
    /**
     * The built admin panel (server/admin-ui → `npm run build` → dist/admin-ui) served at /admin/.
     * Null: that default place, if built (else /admin/ answers 404); a configured folder must load.
     */
    adminUiDir: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
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
        /** Events are sealed into a signed Merkle batch this often (docs/audit.md#batches). */
        batchIntervalS: Type.Integer({ minimum: 5, maximum: 3600 }),
        /**
         * The write-once copy of every sealed batch and manifest (docs/audit.md#worm): files made
         * immutable (FS_IMMUTABLE_FL; needs CAP_LINUX_IMMUTABLE and a filesystem that supports it,
         * else the start stops). Files older than retentionDays are removed. Null: no WORM copy.
         */
        worm: Type.Union([
          Type.Object({ dir: FilePath, retentionDays: Type.Integer({ minimum: 1, maximum: 36500 }) }, closed),
          Type.Null(),
        ]),
      },
      closed,
    ),
    /**
     * A PKCS#11 token (an HSM; SoftHSM2 in tests) holding the audit-signing key and the int-tls,
     * int-vpn and int-device CA keys, non-exportable (docs/audit.md#hsm). The PIN is read from
     * pinFile, never from the environment or argv. Null: file keys under <dataDir> (the embedded
     * default, reported as such).
     */
    hsm: Type.Union([
      Type.Object(
        {
          module: FilePath,
          tokenLabel: Type.String({ minLength: 1, maxLength: 32 }),
          pinFile: FilePath,
        },
        closed,
      ),
      Type.Null(),
    ]),
    /**
     * TLS client fingerprints at the HTTPS listener (docs/detections.md): every ClientHello's JA3
     * and JA4 is taken; one not in the allowlist is recorded (tls.fingerprint_unknown), at most once
     * per fingerprint and source address per 10 minutes. Our own clients' fingerprints (daemon, CLI,
     * phone simulator: Node's TLS with their exact options) are computed at start and always
     * allowed; browsers (the admin panel, the phone app) must be listed here.
     */
    /**
     * The detection rules (docs/detections.md): thresholds, windows, switches, and the optional
     * signed webhook every alert is also posted to.
     */
    detections: Type.Object(
      {
        ...DetectionSettingsSchema.properties,
        webhook: Type.Union([AlertWebhookSettingsSchema, Type.Null()]),
      },
      closed,
    ),
    /** Prometheus listener (docs/detections.md#metrics-and-dashboards): plain HTTP, bearer token; listen null: off. */
    metrics: MetricsSettingsSchema,
    tls: Type.Object(
      {
        fingerprintAllowlist: Type.Array(TlsFingerprint, { maxItems: 1024 }),
        /** More fingerprints, one a line (`#` starts a comment); read at start, a bad line stops it. */
        fingerprintAllowlistFile: Type.Union([FilePath, Type.Null()]),
      },
      closed,
    ),
    /**
     * Where the audit stream is shipped (pki-siem §4.4, docs/audit.md#shipping): each path has its
     * own disk spool under <dataDir>/audit/spool/<path>; at-least-once, events carry their seq.
     */
    siem: Type.Object(
      {
        /** What each shipped event looks like: the native event, ECS or OCSF (siem/). */
        format: Type.Enum(['native', 'ecs', 'ocsf']),
        /** Most bytes each path's spool holds before it stops taking events (they stay in the database). */
        spoolMaxBytes: Type.Integer({ minimum: 65536, maximum: 68719476736 }),
        /** Primary: syslog over TLS (RFC 5425 framing, RFC 5424 messages), mutual TLS. */
        syslog: Type.Union([
          Type.Object(
            {
              host: HostOrIp,
              port: Type.Integer({ minimum: 1, maximum: 65535 }),
              /** The name the receiver's certificate must carry; default host. */
              serverName: Type.Union([HostOrIp, Type.Null()]),
              caFile: FilePath,
              certFile: FilePath,
              keyFile: FilePath,
            },
            closed,
          ),
          Type.Null(),
        ]),
        /** Secondary: HTTPS bulk (Elasticsearch _bulk or Splunk HEC), each body signed (Ed25519). */
        https: Type.Union([
          Type.Object(
            {
              kind: Type.Enum(['elasticsearch', 'splunk-hec']),
              url: Type.String({ maxLength: 2048, pattern: '^https://[^\\s]+$' }),
              caFile: FilePath,
              /** Elasticsearch: the index; Splunk HEC: the index field (optional there). */
              index: Type.Union([
                Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-z0-9][a-z0-9._-]*$' }),
                Type.Null(),
              ]),
              /** File holding the API key (Elasticsearch) or HEC token (Splunk); null: none sent. */
              tokenFile: Type.Union([FilePath, Type.Null()]),
            },
            closed,
          ),
          Type.Null(),
        ]),
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
    geoipCountryDb: null,
    geoipAsnDb: null,
    geoExtraRanges: null,
    gatewayFqdn: 'gw.viworks.internal',
    sessionLifetimeS: 8 * 3600,
    idleTimeoutS: 15 * 60,
    gatewayPollIntervalS: 30,
    dns: { servers: [], searchDomains: [] },
    requireKillSwitch: false,
    requireHardwareKey: false,
    attestationRoots: {},
    appAttest: null,
    playIntegrity: null,
    phoneAppDir: null,
    adminUiDir: null,
    phoneOrigin: null,
    audit: { env: 'prod', site: 'default', tenant: 'default', batchIntervalS: 60, worm: null },
    hsm: null,
    siem: { format: 'native', spoolMaxBytes: 256 * 1024 * 1024, syslog: null, https: null },
    tls: { fingerprintAllowlist: [], fingerprintAllowlistFile: null },
    detections: { ...DEFAULT_DETECTION_SETTINGS, webhook: null },
    metrics: { ...METRICS_DEFAULTS },
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
  set('geoipCountryDb', env.VIWORKS_GEOIP_COUNTRY_DB);
  set('geoipAsnDb', env.VIWORKS_GEOIP_ASN_DB);
  set('geoExtraRanges', env.VIWORKS_GEO_EXTRA_RANGES);
  set('gatewayFqdn', env.VIWORKS_GATEWAY_FQDN);
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (env.VIWORKS_DNS_SERVERS !== undefined || env.VIWORKS_DNS_SEARCH !== undefined) {
    out.dns = {
      servers: list(env.VIWORKS_DNS_SERVERS) ?? [],
      searchDomains: list(env.VIWORKS_DNS_SEARCH) ?? [],
    };
  }
  const flag = env.VIWORKS_REQUIRE_KILL_SWITCH;
  // Anything but the two words is kept as given, so validation names the setting.
  set('requireKillSwitch', flag === 'true' ? true : flag === 'false' ? false : flag);
  const hw = env.VIWORKS_REQUIRE_HARDWARE_KEY;
  set('requireHardwareKey', hw === 'true' ? true : hw === 'false' ? false : hw);
  const int = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  set('sessionLifetimeS', int(env.VIWORKS_SESSION_LIFETIME_S));
  set('idleTimeoutS', int(env.VIWORKS_IDLE_TIMEOUT_S));
  set('gatewayPollIntervalS', int(env.VIWORKS_GATEWAY_POLL_INTERVAL_S));
  set('phoneOrigin', env.VIWORKS_PHONE_ORIGIN);

  set('phoneAppDir', env.VIWORKS_PHONE_APP_DIR);
  set('adminUiDir', env.VIWORKS_ADMIN_UI_DIR);
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
  // Native attestation: names and file paths only; the keys themselves stay in their files.
  const part = (fields: Record<string, unknown>) => {
    const set = Object.entries(fields).filter(([, v]) => v !== undefined && v !== '');
    return set.length > 0 ? Object.fromEntries(set) : undefined;
  };
  const auditParts = part({
    batchIntervalS: int(env.VIWORKS_AUDIT_BATCH_INTERVAL_S),
    worm:
      env.VIWORKS_AUDIT_WORM_DIR === undefined || env.VIWORKS_AUDIT_WORM_DIR === ''
        ? undefined
        : {
            dir: env.VIWORKS_AUDIT_WORM_DIR,
            retentionDays: int(env.VIWORKS_AUDIT_WORM_RETENTION_DAYS) ?? 548,
          },
  });
  set('audit', auditParts);
  set(
    'siem',
    part({ format: env.VIWORKS_SIEM_FORMAT, spoolMaxBytes: int(env.VIWORKS_SIEM_SPOOL_MAX_BYTES) }),
  );
  // VIWORKS_TLS_FINGERPRINT_ALLOWLIST=t13d1516h2_8daaf6152771_e5627efa2ab1,<ja3>,…
  set(
    'tls',
    part({
      fingerprintAllowlist: list(env.VIWORKS_TLS_FINGERPRINT_ALLOWLIST),
      fingerprintAllowlistFile: env.VIWORKS_TLS_FINGERPRINT_ALLOWLIST_FILE,
    }),
  );
  const on = env.VIWORKS_DETECTIONS_ENABLED;
  set(
    'detections',
    part({
      enabled: on === 'true' ? true : on === 'false' ? false : on,
      disabledRules: list(env.VIWORKS_DETECTIONS_DISABLED_RULES),
    }),
  );
  set('metrics', part({ listen: env.VIWORKS_METRICS_LISTEN, tokenFile: env.VIWORKS_METRICS_TOKEN_FILE }));
  set(
    'hsm',
    part({
      module: env.VIWORKS_PKCS11_MODULE,
      tokenLabel: env.VIWORKS_PKCS11_TOKEN,
      pinFile: env.VIWORKS_PKCS11_PIN_FILE,
    }),
  );
  set(
    'appAttest',
    part({
      appId: env.VIWORKS_APP_ATTEST_APP_ID,
      environment: env.VIWORKS_APP_ATTEST_ENVIRONMENT,
      rootFile: env.VIWORKS_APP_ATTEST_ROOT,
    }),
  );
  set(
    'playIntegrity',
    part({
      packageName: env.VIWORKS_PLAY_INTEGRITY_PACKAGE,
      certificateDigests: env.VIWORKS_PLAY_INTEGRITY_CERT_DIGESTS?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      decryptionKeyFile: env.VIWORKS_PLAY_INTEGRITY_DECRYPTION_KEY_FILE,
      verificationKeyFile: env.VIWORKS_PLAY_INTEGRITY_VERIFICATION_KEY_FILE,
      maxAgeS: int(env.VIWORKS_PLAY_INTEGRITY_MAX_AGE_S),
      requiredDeviceVerdict: env.VIWORKS_PLAY_INTEGRITY_DEVICE_VERDICT,
    }),
  );
  return out;
}

/** Defaults inside the native attestation settings, which the file and the environment fill in part. */
const NATIVE_DEFAULTS = {
  appAttest: { environment: 'production' },
  playIntegrity: { maxAgeS: 120, requiredDeviceVerdict: 'MEETS_DEVICE_INTEGRITY' },
} as const;

/** A setting given in parts (file, then environment): the parts merged over its defaults. */
function mergeParts(
  key: keyof typeof NATIVE_DEFAULTS,
  file: Record<string, unknown>,
  env: Record<string, unknown>,
) {
  const [f, e] = [file[key], env[key]];
  if ((f === undefined || f === null) && e === undefined) return f ?? null;
  const object = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {});
  // A non-object from the file is kept as given, so that validation names it.
  if (f !== undefined && f !== null && typeof f !== 'object') return f;
  return { ...NATIVE_DEFAULTS[key], ...object(f), ...object(e) };
}

/**
 * The detections section: like mergeSection, one level deeper (a rule's settings given in part keep
 * the defaults of the rest), and a webhook given in part gets its defaults.
 */
function mergeDetections(defaults: object, file: unknown, env: unknown) {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  // A non-object from the file is kept as given, so that validation names it.
  if (file !== undefined && !isObject(file)) return file;
  const merged = mergeDetectionSettings(defaults, { ...(file ?? {}), ...(isObject(env) ? env : {}) });
  if (isObject(merged.webhook)) merged.webhook = { ...DEFAULT_ALERT_WEBHOOK_SETTINGS, ...merged.webhook };
  return merged;
}

/** A settings object whose fields the file and the environment may give in part, over its defaults. */
function mergeSection(defaults: object, file: unknown, env: unknown) {
  const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
  // A non-object from the file is kept as given, so that validation names it.
  if (file !== undefined && !isObject(file)) return file;
  return { ...defaults, ...(file ?? {}), ...(isObject(env) ? env : {}) };
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
  const file = fromFile(opts.file ?? env.VIWORKS_CONFIG);
  const envParts = fromEnv(env);
  const base = defaults(env);
  const merged = {
    ...base,
    ...file,
    ...envParts,
    appAttest: mergeParts('appAttest', file, envParts),
    playIntegrity: mergeParts('playIntegrity', file, envParts),
    audit: mergeSection(base.audit, file.audit, envParts.audit),
    siem: mergeSection(base.siem, file.siem, envParts.siem),
    tls: mergeSection(base.tls, file.tls, envParts.tls),
    detections: mergeDetections(base.detections, file.detections, envParts.detections),
    metrics: mergeSection(base.metrics, file.metrics, envParts.metrics),
  };
  const config = validator.parse(merged, 'VIW_E_CONFIG');
  // https only, no credentials or fragment in the URL: refused at start, never at the first alert.
  parseAlertWebhookSettings(config.detections.webhook);
  // Xcode builds' keys are development-only: a production backend never accepts them (lessons.md).
  if (config.mode === 'production' && config.appAttest?.environment === 'development') {
    throw new ViworksError('VIW_E_CONFIG', {
      details: ['appAttest.environment: development is refused in production mode'],
    });
  }
  return config;
}

/** The configuration as safe to print: credentials inside URLs replaced. */
export function redactConfig(config: ServerConfig): ServerConfig {
  const redactUrl = (url: string | null) => (url === null ? null : url.replace(/\/\/([^@/]*)@/, '//***@'));
  // A webhook URL may carry a receiver's token in its query: only its origin and path are shown.
  const webhook = config.detections.webhook;
  const hook = webhook && { ...webhook, url: webhook.url.replace(/[?#].*$/, (q) => (q ? '?***' : '')) };
  return {
    ...config,
    databaseUrl: redactUrl(config.databaseUrl),
    redisUrl: redactUrl(config.redisUrl),
    detections: { ...config.detections, webhook: hook },
  };
}
