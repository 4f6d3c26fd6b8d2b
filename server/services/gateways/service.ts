// The backend's SSH control plane for gateway nodes, as the rest of the backend sees it: built once
// at start (ctx.gatewayControl), it knows which gateways are managed, runs the operations for the
// hooks (bootstrap: in line, fail closed; session end and device revocation: in the background,
// audited, never failing their caller), polls health + audit of active gateways, and waits for its
// background work at shutdown. A gateway is managed only once it is `active` (a successful
// provision); for a `pending` gateway every hook does nothing.
import type { ServerConfig } from '../../config.js';
import type { Db, Gateway } from '../../data/client.js';
import type { CrlPublisher } from '../../pki/crl.js';
import type { EmbeddedPki } from '../../pki/embedded-pki.js';
import type { GatewayMaterial } from '../../pki/gateway-profile.js';
import type { AuditService } from '../audit/service.js';
import type { SpaKeys } from '../device/spa-keys.js';
import type { FingerprintAllowlist } from '../tls-fingerprints/allowlist.js';
import { type BrowserGrant, type BrowserViewer, spawnSessionBrowser } from './browser-session.js';
import type { ControlKey } from './control-key.js';
import { ingestAudit } from './ingest-audit.js';
import { ingestDataplane } from './ingest-dataplane.js';
import { storedSettings } from './node-config.js';
import * as ops from './operations.js';
import type { ControlRequest } from './request.js';
import type { RetryPolicy } from './runner.js';
import type { SessionFilterSpec } from './session-filter.js';
import type { ExecTimeouts } from './ssh-exec.js';
import { SshConnectionPool } from './ssh-pool.js';

export interface GatewayControlDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly crl: CrlPublisher;
  readonly pki: EmbeddedPki;
  readonly dataDir: string;
  readonly defaultGateway: GatewayMaterial;
  readonly secrets: { readonly spaWrapKey: Uint8Array };
  readonly controlKey: ControlKey;
  readonly now: () => Date;
  readonly retry?: RetryPolicy;
  readonly timeouts?: (req: ControlRequest) => ExecTimeouts;
  /** The backend's SIEM settings: with siem.syslog, nodes forward their logs there too. */
  readonly siem?: Pick<ServerConfig['siem'], 'syslog' | 'spoolMaxBytes'>;
  /** The allowlist front-door fingerprints are judged by (set once measured at start; none: not judged). */
  readonly gatewayFingerprints?: () => Pick<FingerprintAllowlist, 'allows'> | null;
}

/** Managed: provisioned (active) and reachable in principle (address and pinned host key). */
export function isManaged(row: Pick<Gateway, 'status' | 'sshHost' | 'sshHostKeyFingerprint'>): boolean {
  return row.status === 'active' && row.sshHost !== '' && row.sshHostKeyFingerprint !== '';
}

export interface SessionOnGateway {
  readonly gatewayId: string;
  readonly deviceId: string;
  /** The device's SPA keys, as the bootstrap read them (it wipes them; never kept here). */
  readonly spaKeys: SpaKeys;
  readonly sessionId: string;
  readonly expiresAt: Date;
  readonly pushRoutes: readonly string[];
  /**
   * The session's policy on the node (session_filter): its tag and the networks it may reach —
   * null networks = the gateway's own push_routes (a full tunnel whose policy names none).
   */
  readonly policy: {
    readonly id: string;
    readonly version: number;
    readonly networks: readonly string[] | null;
  };
  readonly traceId?: string;
  /** The session's browser targets (issue #18); absent or null: no isolated browser. */
  readonly browser?: BrowserGrant | null;
}

/** A live session as the policy watcher sees it: what its forwarding on the gateway depends on. */
type SessionPolicyOnGateway = Omit<SessionOnGateway, 'deviceId' | 'spaKeys' | 'pushRoutes'>;

function filterSpec(row: Gateway, s: SessionPolicyOnGateway): SessionFilterSpec {
  return {
    sessionId: s.sessionId,
    policyId: s.policy.id,
    policyVersion: s.policy.version,
    networks: s.policy.networks ?? [...(storedSettings(row)?.push_routes ?? [])],
    expiresAt: s.expiresAt,
  };
}

export class GatewayControl {
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  readonly ops: ops.OpsDeps;
  /** The poller's own deps: one attempt per tick (the next tick is the retry). */
  private readonly pollOps: ops.OpsDeps;

  /** One persistent SSH connection per gateway, shared by the hooks, the admin API and the poller. */
  private readonly pool = new SshConnectionPool();

  constructor(private readonly deps: GatewayControlDeps) {
    const runner = {
      audit: deps.audit,
      privateKey: () => deps.controlKey.readPrivateKey(),
      pool: this.pool,
      signal: this.abort.signal,
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
    };
    const base = { db: deps.db, audit: deps.audit, secrets: deps.secrets, now: deps.now };
    const material = {
      pki: deps.pki,
      dataDir: deps.dataDir,
      crl: deps.crl,
      defaultGateway: deps.defaultGateway,
      ...(deps.siem ? { siem: deps.siem } : {}),
    };
    this.ops = { ...base, material, runner };
    this.pollOps = { ...base, material, runner: { ...runner, retry: { attempts: 1, baseDelayMs: 0 } } };
  }

  get publicKeyLine(): string {
    return this.deps.controlKey.publicKeyLine;
  }

  private async managed(where: { id?: string } = {}): Promise<Gateway[]> {
    const rows = await this.deps.db.gateway.findMany({ where: { status: 'active', ...where } });
    return rows.filter(isManaged);
  }

  /**
   * Bootstrap, before the payload is sealed: the device's SPA keys, the session's CCD entry and
   * forwarding on the session's gateway, and its isolated browser when its policy grants one (the
   * viewer goes into the payload). Throws the gateway error (the caller ends the session).
   */
  async prepareSession(s: SessionOnGateway): Promise<BrowserViewer | null> {
    const [row] = await this.managed({ id: s.gatewayId });
    if (!row) return null;
    const facts = s.traceId ? { trace_id: s.traceId } : {};
    // SPA keys, authorization and forwarding in one command: one SSH exec on the connect path. The
    // session's forwarding is its policy's from the first packet; the node never sees it otherwise.
    await ops.openSession(this.ops, row, s, filterSpec(row, s), facts);
    // Its browser is reachable only from the session's pinned VPN address: after authorize.
    const grant = s.browser;
    return grant ? await spawnSessionBrowser(this.ops, row, { ...s, grant }, facts) : null;
  }

  /**
   * A live session's policy changed (the session watcher re-tagged it): its networks on its
   * gateway follow at once, without a reconnect. Awaited: the watcher's 10 s includes it.
   */
  async applySessionPolicy(s: SessionPolicyOnGateway): Promise<void> {
    const [row] = await this.managed({ id: s.gatewayId });
    if (!row) return;
    await ops.filterSession(this.ops, row, filterSpec(row, s), s.traceId ? { trace_id: s.traceId } : {});
  }

  /**
   * Session ended: cut it on its gateway at once (terminate, then remove its authorization), and
   * once its certificate's revocation is done (`revoked`), push the new CRL there.
   */
  sessionEnded(sessionId: string, revoked: Promise<void> = Promise.resolve()): void {
    this.background(async () => {
      const session = await this.deps.db.session.findUnique({
        where: { id: sessionId },
        select: { gatewayId: true },
      });
      const rows = session ? await this.managed({ id: session.gatewayId }) : [];
      for (const row of rows) await ops.endSessionOnGateway(this.ops, row, sessionId).catch(() => undefined);
      await revoked;
      for (const row of rows) await ops.pushCrl(this.ops, row);
    });
  }

  /** Device unbound/revoked: its SPA stanza goes from every managed gateway. */
  deviceRevoked(deviceId: string): void {
    this.background(async () => {
      for (const row of await this.managed())
        await ops.removeDeviceKeys(this.ops, row, deviceId).catch(() => undefined);
    });
  }

  /** Device enrolled or approved: install its SPA keys where it could knock, if it has any yet. */
  deviceEnrolled(deviceId: string): void {
    this.background(async () => {
      for (const row of await this.managed())
        await ops.syncDeviceKeys(this.ops, row, deviceId).catch(() => undefined);
    });
  }

  /** One health + audit-ingest round over the active gateways; failures are audited per attempt. */
  async pollOnce(): Promise<void> {
    for (const row of await this.managed()) {
      if (this.abort.signal.aborted) return;
      await ops.health(this.pollOps, row).catch(() => undefined);
      await ingestAudit(this.pollOps, row).catch(() => undefined);
      await ingestDataplane(this.pollOps, row, undefined, this.deps.gatewayFingerprints?.() ?? null).catch(
        () => undefined,
      );
    }
  }

  startPolling(intervalMs: number, onError: (err: unknown) => void): void {
    this.pollTimer = setInterval(() => {
      if (this.polling) return; // the previous round is still running
      this.polling = this.pollOnce()
        .catch(onError)
        .finally(() => {
          this.polling = undefined;
        });
    }, intervalMs);
    this.pollTimer.unref();
  }

  /** Runs work that must not block or fail its caller; errors were audited where they happened. */
  background(task: () => Promise<void>): void {
    if (this.abort.signal.aborted) return;
    const run = task()
      .catch(() => undefined)
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Waits for in-flight work (retries stop waiting at once); for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.polling) await Promise.all([...this.pending, this.polling]);
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.abort.abort();
    await this.idle();
    this.pool.close();
  }
}
