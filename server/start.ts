// The start sequence of the backend: configuration → database (migrated) → embedded PKI → first
// administrator → HTTPS listener. Returns what the banner prints and a close() for tests/signals.
import { join } from 'node:path';
import { ViworksError } from '../core/errors/viworks-error.js';
import { buildApp } from './app.js';
import type { StartBanner } from './banner.js';
import type { ServerConfig } from './config.js';
import type { AppContext } from './context.js';
import { openDatabase } from './data/database.js';
import { firstAdminStore } from './data/first-admin-store.js';
import { ensurePrivateDir } from './fs/private-files.js';
import { installClientHelloGate } from './http/client-hello-gate.js';
import { installConnectionUse } from './http/connection-use.js';
import { EDGE_LIMITS, type EdgeLimits } from './http/edge-limits.js';
import { currentRequestFacts, installRequestFacts } from './http/request-facts.js';
import type { KvStore } from './kv/kv-store.js';
import { MemoryKv } from './kv/memory-kv.js';
import { RedisKv } from './kv/redis-kv.js';
import { startObservers } from './observers.js';
import { describeKeyStorage, loadOrCreatePki } from './pki/embedded-pki.js';
import { type Hsm, openHsm } from './pki/hsm/hsm.js';
import { connectionFingerprints } from './routes/identity-http.js';
import { registerRoutes } from './routes/index.js';
import { loadOrCreateSecrets } from './secrets.js';
import { ensureFirstAdmin } from './services/admin/first-admin.js';
import { archiveAuditKey, loadAuditSigner } from './services/audit/keys.js';
import { siemTransports, startAuditPipeline } from './services/audit/pipeline.js';
import { AuditService } from './services/audit/service.js';
import type { AuditSigner } from './services/audit/signer.js';
import { openWormArchive } from './services/audit/worm/directory-archive.js';
import { SessionEventBus } from './services/client/events.js';
import { relaySessionEventsViaRedis } from './services/client/events-redis.js';
import { withGatewayTeardown } from './services/client/session-end-hooks.js';
import { loadSessionRuntime, startBackgroundJobs } from './services/client/session-runtime.js';
import { type ControlKey, loadOrCreateControlKey } from './services/gateways/control-key.js';
import { GatewayControl } from './services/gateways/service.js';
import { openServerGeoIp } from './services/geo/sources.js';
import { startSessionWatcher } from './services/policy/session-watcher.js';
import { PolicyWatch } from './services/policy/watch.js';
import { RATE_RULES, RateLimiter } from './services/rate-limit.js';
import type { FingerprintAllowlist } from './services/tls-fingerprints/allowlist.js';
import { startTlsFingerprinting } from './services/tls-fingerprints/service.js';
import { VERSION } from './version.js';

export interface RunningServer {
  readonly banner: StartBanner;
  readonly port: number;
  /** The running context, for tests that inspect the database, store or event bus directly. */
  readonly ctx?: AppContext;
  close(): Promise<void>;
}

/** The backend-api certificate's names from config.publicNames (also used by `pki roll`). */
export function splitNames(names: readonly string[]) {
  const isIp = (n: string) => /^[0-9.]+$/.test(n) || n.includes(':');
  return { commonName: 'backend-api', dns: names.filter((n) => !isIp(n)), ips: names.filter(isIp) };
}

/** What the first start creates and every start loads: the migrated database, PKI, secrets, first admin. */
export interface PreparedBackend {
  readonly database: Awaited<ReturnType<typeof openDatabase>>;
  readonly pki: Awaited<ReturnType<typeof loadOrCreatePki>>;
  readonly secrets: ReturnType<typeof loadOrCreateSecrets>;
  readonly firstAdmin: Awaited<ReturnType<typeof ensureFirstAdmin>>;
  /** Signs audit manifests and checkpoints: the file key, or the token's when an HSM is configured. */
  readonly auditSigner: AuditSigner;
  /** The PKCS#11 token (config.hsm), open for the process's life; null: file keys. */
  readonly hsm: Hsm | null;
  /** The SSH key the backend controls gateway nodes with (made on first start). */
  readonly controlKey: ControlKey;
}

/** `viworks-server init` and the start of `start`. The caller owns `database` and closes it. */
export async function prepareBackend(
  config: ServerConfig,
  opts: { adminPassword?: string } = {},
): Promise<PreparedBackend> {
  ensurePrivateDir(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  let hsm: Hsm | null = null;
  try {
    hsm = config.hsm ? await openHsm(config.hsm) : null;
    const pki = await loadOrCreatePki(config.dataDir, splitNames(config.publicNames), hsm ? { hsm } : {});
    const secrets = loadOrCreateSecrets(config.dataDir);
    const auditSigner = await loadAuditSigner(config.dataDir, hsm);
    const controlKey = loadOrCreateControlKey(config.dataDir);
    const firstAdmin = await ensureFirstAdmin(firstAdminStore(database.db), opts.adminPassword);
    if (firstAdmin) {
      const admin = await database.db.user.findUniqueOrThrow({ where: { username: firstAdmin.username } });
      const auditContext = { env: config.audit.env, site: config.audit.site, tenant_id: config.audit.tenant };
      await new AuditService(database.db, auditContext, secrets.pseudonymKey, {
        dataDir: config.dataDir,
      }).record({
        component: 'backend',
        action: 'admin.first_admin_create',
        result: 'success',
        userAuditId: admin.auditId,
      });
    }
    return { database, pki, secrets, firstAdmin, auditSigner, hsm, controlKey };
  } catch (err) {
    await hsm?.close();
    await database.close();
    throw err;
  }
}

export async function startServer(
  config: ServerConfig,
  opts: { adminPassword?: string; logStream?: NodeJS.WritableStream; limits?: EdgeLimits } = {},
): Promise<RunningServer> {
  const { database, pki, secrets, firstAdmin, auditSigner, hsm, controlKey } = await prepareBackend(
    config,
    opts,
  );
  try {
    // The WORM copy proves itself write-once before anything relies on it (VIW_E_CONFIG if not),
    // and the SIEM transports read their files now: a bad setting stops the start here.
    const archive = config.audit.worm ? await openWormArchive(config.audit.worm) : null;
    if (archive) await archiveAuditKey(archive, auditSigner);
    const transports = siemTransports(config);
    // REDIS_URL selects the shared store for scale-out; the default is in-process.
    const kv = config.redisUrl ? await connectRedis(config.redisUrl) : new MemoryKv();
    const events = new SessionEventBus();
    const stopRelay = kv instanceof RedisKv ? await relaySessionEventsViaRedis(events, kv) : async () => {};
    const auditContext = { env: config.audit.env, site: config.audit.site, tenant_id: config.audit.tenant };
    // Extra ranges, then configured > installed > bundled databases (docs/geo.md); a missing or
    // malformed one stops the start (VIW_E_CONFIG), never skipped.
    const geo = openServerGeoIp(config);
    const audit = new AuditService(database.db, auditContext, secrets.pseudonymKey, {
      dataDir: config.dataDir,
      geo,
      ambient: currentRequestFacts,
    });
    const now = () => new Date();
    const sessionRuntime = await loadSessionRuntime({ config, db: database.db, pki, audit, events, now });
    // Front-door fingerprints are judged once the allowlist is measured (startTlsFingerprinting below).
    let gatewayAllowlist: FingerprintAllowlist | null = null;
    const gatewayControl = new GatewayControl({
      db: database.db,
      audit,
      crl: sessionRuntime.crl,
      pki,
      dataDir: config.dataDir,
      defaultGateway: sessionRuntime.gateway,
      secrets,
      controlKey,
      now,
      siem: config.siem,
      gatewayFingerprints: () => gatewayAllowlist,
    });
    const ctx: AppContext = {
      ...sessionRuntime,
      geo,
      policyWatch: new PolicyWatch(),
      sessionEnd: withGatewayTeardown(sessionRuntime.sessionEnd, gatewayControl),
      gatewayControl,
      config,
      db: database.db,
      provider: database.provider,
      kv,
      pki,
      secrets,
      audit,
      rate: new RateLimiter(kv),
      events,
      now,
    };
    const app = await buildApp({
      tls: { chainPem: pki.backendApi.chainPem, keyPem: pki.backendApi.keyPem },
      logLevel: config.logLevel,
      register: (a, routes) => registerRoutes(a, ctx, routes),
      limitNotFound: (request) => ctx.rate.hit(RATE_RULES.notFound, request.ip),
      ...(opts.logStream ? { logStream: opts.logStream } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    // Every audit event recorded while serving a request carries its connection's JA3/JA4.
    installRequestFacts(app, connectionFingerprints);
    // Which connections are a browser's (the phone app): their fingerprints are not judged.
    installConnectionUse(app);
    // JA3/JA4 of every ClientHello, read before TLS takes the socket; unknown clients and failed
    // handshakes become audit events (server/http/client-hello-gate.ts, services/tls-fingerprints).
    const tlsFingerprints = await startTlsFingerprinting({
      config,
      kv,
      audit,
      caPem: pki.rootPem,
      log: app.log,
    });
    gatewayAllowlist = tlsFingerprints.gatewayAllowlist;
    app.log.info(
      {
        own_clients: tlsFingerprints.ownClients.map((f) => ({ ja4: f.ja4, ja3: f.ja3, variant: f.variant })),
      },
      'TLS fingerprints of our own clients (always allowed)',
    );
    // Detections and metrics subscribe to the audit stream before anything can record (docs/detections.md).
    const observers = await startObservers(ctx, { auditContext, log: app.log });
    const limits = opts.limits ?? EDGE_LIMITS;
    const helloGate = installClientHelloGate(app.server, {
      timeoutMs: limits.handshakeTimeoutMs,
      maxPendingPerAddress: limits.maxPendingPerAddress,
      onHandshake: (hello, outcome) => tlsFingerprints.events.observe(hello, outcome),
    });
    await app.listen({ host: config.listenHost, port: config.listenPort });
    const jobs = startBackgroundJobs(ctx, app.log);
    // Live sessions re-evaluated on every policy change and schedule boundary (issue #14).
    const watcher = startSessionWatcher(ctx, {
      info: (msg) => app.log.info(msg),
      error: (obj, msg) => app.log.error(obj, msg),
    });
    gatewayControl.startPolling(config.gatewayPollIntervalS * 1000, (err) =>
      app.log.error({ err }, 'gateway poll failed'),
    );
    // Checkpoints, signed Merkle batches (+ WORM copy) and SIEM shipping (issue #15, docs/audit.md).
    const auditPipeline = startAuditPipeline(
      { config, db: database.db, audit, signer: auditSigner, archive, log: app.log },
      transports,
    );
    observers.shipping(() => auditPipeline.shipping());
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listenPort;
    const host = config.publicNames[0] ?? config.listenHost;
    const banner: StartBanner = {
      v: 1,
      url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      version: VERSION,
      mode: config.mode,
      database: database.provider,
      data_dir: config.dataDir,
      ca_file: join(config.dataDir, 'pki', 'root.crt'),
      backend_pins: pki.backendApi.pins,
      key_storage: describeKeyStorage(pki, auditSigner),
      siem: transports.map((t) => t.path),
      worm_dir: archive?.dir ?? null,
      first_admin: firstAdmin?.oneTimePassword
        ? { username: firstAdmin.username, one_time_password: firstAdmin.oneTimePassword }
        : null,
    };
    return {
      banner,
      port,
      ctx,
      close: async () => {
        jobs.stop();
        watcher.stop();
        helloGate.close();
        await app.close();
        await tlsFingerprints.events.drain();
        await observers.stop();
        await gatewayControl.close();
        await auditPipeline.stop();
        await stopRelay();
        await kv.close();
        await hsm?.close();
        await database.close();
      },
    };
  } catch (err) {
    await hsm?.close();
    await database.close();
    throw err;
  }
}

async function connectRedis(url: string): Promise<KvStore> {
  try {
    return await RedisKv.connect(url);
  } catch {
    // The URL holds a password: name the setting, never the value.
    throw new ViworksError('VIW_E_CONFIG', { details: ['REDIS_URL: cannot connect or authenticate'] });
  }
}
