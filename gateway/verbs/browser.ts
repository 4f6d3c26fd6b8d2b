// browser_spawn / browser_terminate s-<id> (core/gateway/browser.ts): one sandboxed browser per
// authorized session (gateway/browser/), viewed through the viewer's nginx at a random path that
// only the session's pinned VPN address may use.
//
// Spawn: the session must be known and pinned; the targets are checked against the node's own
// ranges; the sandbox starts (or is found running); the record (browsers.json) is written, then the
// session's location file, then nginx is checked (`nginx -t`) and started or reloaded. Any failure
// after the sandbox started ends the whole browser (location, sandbox, record): fail closed. The
// same document again answers the same URL with `changed: false`; another document for a session
// that has a browser is VIW_E_CONFLICT (terminate first).
//
// End (browser_terminate, vpn_user_delete, the prune of an expired session): the location goes
// first and nginx reloads — the capability dies before anything else — then the sandbox, then the
// record. A sandbox that cannot be removed keeps the record, so a retry (or the reaper) finishes.
//
// The path travels only in the reply: the dispatcher's audit line holds the verb, the session id,
// the exit status and the error code, never the reply; nginx's access log holds the session id.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ViworksError } from '../../core/errors/viworks-error.js';
import {
  type BrowserSpawnInput,
  BrowserSpawnResult,
  type BrowserTerminateResult,
} from '../../core/gateway/browser.js';
import type { GatewaySettings } from '../../core/gateway/control.js';
import { strictValidator } from '../../core/schema/strict.js';
import { reapBrowserSandboxes } from '../browser/reaper.js';
import { listBrowserSandboxes, spawnBrowserSandbox, terminateBrowserSandbox } from '../browser/sandbox.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import type { NodeConfig } from '../node-config.js';
import { renderViewerLocation } from '../render/nginx-conf.js';
import { removeIfExists, writeFileIfChanged } from '../state/atomic-file.js';
import { readApplied, readSessions } from '../state/node-state.js';
import {
  locationFile,
  sandboxPaths,
  VIEWER_HTTP_PORT,
  viewerPaths,
  viewerServerConf,
  vpnServerAddress,
} from './browser-paths.js';
import { type BrowserRecord, forgetBrowser, readBrowsers, writeBrowsers } from './browser-record.js';
import { checkBrowserTargets } from './browser-targets.js';
import { applyViewer, nginxPid, stopViewer, writeViewerConf } from './viewer-nginx.js';

const spawnResult = strictValidator(BrowserSpawnResult);

/** `/b/` + 24 CSPRNG bytes as 32 base64url characters + `/` (BROWSER_PATH: 192 bits). */
export const newViewerPath = (): string => `/b/${randomBytes(24).toString('base64url')}/`;

const nowSeconds = (ctx: VerbContext) => Math.floor(ctx.now().getTime() / 1000);

/** The document minus its expiry (which a repeat may extend), canonical, hashed. */
function specDigest(input: BrowserSpawnInput): string {
  const { expires_at: _, ...rest } = input;
  const canonical = JSON.stringify(rest, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

interface Pinned {
  readonly address: string;
  readonly settings: GatewaySettings;
}

/** The session's pinned address and the node's settings, or why a browser cannot be given. */
function pinnedSession(config: NodeConfig, sessionId: string): Pinned {
  const session = readSessions(config.state_dir).sessions[sessionId];
  if (!session) throw new ViworksError('VIW_E_NOT_FOUND', { message: 'no such session on this gateway' });
  const settings = readApplied(config.state_dir).settings;
  if (!settings || !session.address) {
    throw new ViworksError('VIW_E_CONFLICT', {
      message: 'the session has no VPN address yet (the node has no configuration applied)',
    });
  }
  return { address: session.address, settings };
}

export async function browserSpawn(ctx: VerbContext): Promise<VerbOutcome> {
  const input = ctx.input as BrowserSpawnInput;
  const [sessionId = ''] = ctx.args;
  const { config } = ctx;
  if (input.expires_at <= nowSeconds(ctx)) {
    throw new ViworksError('VIW_E_VALIDATION', { message: 'invalid request: expires_at is in the past' });
  }
  const { address, settings } = pinnedSession(config, sessionId);
  const sandbox = sandboxPaths(config, settings);
  checkBrowserTargets(input.targets, sandbox.pool, sandbox.refusedNetworks ?? []);
  const spec = specDigest(input);
  const existing = readBrowsers(config.state_dir).browsers[sessionId];
  if (existing && existing.spec !== spec) {
    throw new ViworksError('VIW_E_CONFLICT', {
      message: 'this session has a browser started with other targets or limits; terminate it first',
    });
  }
  const [first] = input.targets;
  try {
    const facts = await spawnBrowserSandbox(
      {
        id: sessionId,
        targets: input.targets.map(({ host, port }) => ({ host, port })),
        limits: input.limits,
        start_url: `http://${first?.host}:${first?.port}/`,
        clipboard: input.clipboard,
        file_transfer: input.file_transfer,
      },
      sandbox,
    );
    const record: BrowserRecord = {
      path: existing?.path ?? newViewerPath(),
      client_address: address,
      upstream: { address: facts.address, port: facts.port },
      targets: input.targets.map((t) => t.name),
      spec,
      expires_at: input.expires_at,
    };
    const state = readBrowsers(config.state_dir);
    state.browsers[sessionId] = record;
    const recorded = writeBrowsers(config.state_dir, state);
    const served = await serveLocation(config, settings, sessionId, record);
    const changed = existing === undefined || recorded || served;
    const result: BrowserSpawnResult = {
      session: sessionId,
      url: `http://${vpnServerAddress(settings)}:${VIEWER_HTTP_PORT}${record.path}`,
      targets: record.targets,
      changed,
    };
    return { changed, result: spawnResult.parse(result, 'VIW_E_INTERNAL') };
  } catch (err) {
    // Fail closed: no half-made browser stays (location, sandbox, record) — a running one included,
    // when a repeated spawn could not bring it back to what it was.
    await endSessionBrowser(config, sessionId).catch(() => undefined);
    throw err;
  }
}

/** Writes nginx.conf and the session's location and makes nginx serve them; whether anything changed. */
async function serveLocation(
  config: NodeConfig,
  settings: GatewaySettings,
  sessionId: string,
  record: BrowserRecord,
): Promise<boolean> {
  const p = viewerPaths(config.state_dir);
  const confChanged = writeViewerConf(p, viewerServerConf(config, settings));
  const locationChanged = writeFileIfChanged(
    locationFile(p, sessionId),
    renderViewerLocation({
      session: sessionId,
      path: record.path,
      clientAddress: record.client_address,
      upstreamAddress: record.upstream.address,
      upstreamPort: record.upstream.port,
    }),
    0o600,
  );
  const applied = await applyViewer(p, { changed: confChanged || locationChanged, startIfDown: true });
  return confChanged || locationChanged || applied;
}

/**
 * Ends the session's browser, whatever is left of it: location (then nginx reloads), sandbox,
 * record. Returns whether anything was there. Cheap when the session never had one.
 */
export async function endSessionBrowser(config: NodeConfig, sessionId: string): Promise<boolean> {
  const p = viewerPaths(config.state_dir);
  const hadRecord = Object.hasOwn(readBrowsers(config.state_dir).browsers, sessionId);
  const hadLocation = removeIfExists(locationFile(p, sessionId));
  if (hadLocation || hadRecord) {
    // Fail closed: when nginx cannot be made to drop the location (a reload refused), it stops
    // serving altogether rather than keep the path alive; the next spawn starts it again.
    await applyViewer(p, { changed: true, startIfDown: false }).catch(() => stopViewer(p));
  }
  const sandbox = await terminateBrowserSandbox(sessionId, sandboxPaths(config, null));
  forgetBrowser(config.state_dir, sessionId);
  return hadRecord || hadLocation || sandbox.removed;
}

export async function browserTerminate(ctx: VerbContext): Promise<VerbOutcome> {
  const session = ctx.args[0] ?? '';
  const removed = await endSessionBrowser(ctx.config, session);
  const result: BrowserTerminateResult = { session, removed };
  return { changed: removed, result: { ...result } };
}

/**
 * The prune's part for browsers (every request, under the node lock): ends the browsers whose
 * session is gone or whose expiry passed, lets gateway/browser's reaper remove sandboxes nobody
 * records and leftovers of crashed spawns, then forgets browsers whose sandbox is gone (a died
 * browser's location would only answer 502). Nothing to do on a node that never ran a browser.
 */
export async function reapBrowsers(config: NodeConfig, now: Date): Promise<void> {
  const sandbox = sandboxPaths(config, null);
  const records = readBrowsers(config.state_dir).browsers;
  if (Object.keys(records).length === 0 && !existsSync(sandbox.stateDir)) return;
  const nowS = Math.floor(now.getTime() / 1000);
  const sessions = readSessions(config.state_dir).sessions;
  const alive = (id: string): boolean => {
    const rec = records[id];
    const session = sessions[id];
    return rec !== undefined && session !== undefined && rec.expires_at > nowS && session.expires_at > nowS;
  };
  for (const id of Object.keys(records)) if (!alive(id)) await endSessionBrowser(config, id);
  await reapBrowserSandboxes(alive, sandbox);
  const present = new Set((await listBrowserSandboxes(sandbox)).map((s) => s.id));
  for (const id of Object.keys(readBrowsers(config.state_dir).browsers))
    if (!present.has(id)) await endSessionBrowser(config, id);
}

/** Whether the viewer's nginx runs (health may report it). */
export const viewerRunning = (config: NodeConfig): boolean =>
  nginxPid(viewerPaths(config.state_dir)) !== null;
