// Pulls a gateway's data-plane logs (fwknopd, stunnel, OpenVPN) forward from the cursors kept in
// Gateway.logCursors, turns each step into a normalized audit event (docs/detections.md#data-plane-events)
// and advances the cursors. A gateway seen for the first time ({}) starts at the current end of
// each log: what happened before it was managed is not replayed. Per poll and source at most
// DATAPLANE_PAGE_LINES lines; the next poll goes on from there.
// The parsers (core/gateway/dataplane) keep a little state between pulls (a packet's stanza tries,
// a TLS connection until its handshake ends, an OpenVPN client until it is up), held here per
// gateway for the life of the process; after a restart a step that straddles it is not reported.
// OpenVPN sees every client as stunnel's loopback relay: the relay port ties it back to the TLS peer
// (core/gateway/dataplane/relay-join.ts, shared with the node's normalizer; see PULL_ORDER and EVENT_ORDER).
// The front door's hello log (source `hello`, the node's ClientHello capture) is pulled after
// stunnel's and read before it: its JA3/JA4 go onto the `tls.handshake` of the same source address and port, and an
// unknown fingerprint adds a `tls.fingerprint_unknown` (core/gateway/dataplane/hello-join.ts,
// server/services/tls-fingerprints/gateway-unknown.ts).
import { Type } from 'typebox';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import {
  dataplanePullResult,
  END_CURSOR,
  LOG_CURSOR,
  NO_FILE_CURSOR,
  parseCursor,
} from '../../../core/gateway/dataplane/cursor.js';
import { claimsHello, GatewayHellos } from '../../../core/gateway/dataplane/hello-join.js';
import {
  createParser,
  type DataplaneFact,
  type DataplaneParser,
  type DataplaneSource,
} from '../../../core/gateway/dataplane/index.js';
import { factsOfPage, type ResolvedFact } from '../../../core/gateway/dataplane/page-facts.js';
import { RelayJoin } from '../../../core/gateway/dataplane/relay-join.js';
import { BoundedMap } from '../../../core/gateway/dataplane/text.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { ServiceAuditFacts } from '../audit/service.js';
import type { FingerprintAllowlist } from '../tls-fingerprints/allowlist.js';
import { GatewayUnknownClients } from '../tls-fingerprints/gateway-unknown.js';
import { type GatewayRow, type OpsDeps, targetOf } from './operations.js';
import { runControl } from './runner.js';

/** Lines per source per poll. */
export const DATAPLANE_PAGE_LINES = 2000;
/** Entries of the id cache per gateway. */
const CACHE_ENTRIES = 10_000;

const Cursor = Type.String({ maxLength: 64, pattern: LOG_CURSOR });
const LogCursors = Type.Object(
  {
    fwknopd: Type.Optional(Cursor),
    stunnel: Type.Optional(Cursor),
    openvpn: Type.Optional(Cursor),
    hello: Type.Optional(Cursor),
  },
  closed,
);
const logCursors = strictValidator(LogCursors);
/** The daemons' logs, and the front door's hello log (fingerprints, no events of its own). */
export type IngestSource = DataplaneSource | 'hello';
type LogCursors = Partial<Record<IngestSource, string>>;
/** A node that cannot give the hello log (older than it) is asked again after this long. */
export const HELLO_RETRY_MS = 10 * 60_000;

/** The stored cursors; anything that does not parse counts as none (each log restarts from its end). */
export function readLogCursors(text: string): LogCursors {
  try {
    const value: unknown = JSON.parse(text);
    return logCursors.check(value) ? value : {};
  } catch {
    return {};
  }
}

/**
 * Only forward: the same file at an equal or later offset, another file when the node says the old
 * one is gone (restarted), or the first file after none (a log its writer had not created yet — the
 * hello log before the front door's first connection). Anything else from a node is refused and the
 * cursor stays.
 */
export function isForward(before: string | undefined, after: string, restarted: boolean): boolean {
  const next = parseCursor(after);
  if (!next) return false;
  const prev = before === undefined ? null : parseCursor(before);
  if (!prev || restarted || before === NO_FILE_CURSOR) return true;
  return prev.inode === next.inode ? next.offset >= prev.offset : false;
}

interface Owner {
  readonly userAuditId: string | null;
  readonly deviceId: string | null;
}

interface GatewayState {
  readonly parsers: Record<DataplaneSource, DataplaneParser>;
  /** stunnel → OpenVPN relay port → the TLS peer and the session its certificate names. */
  readonly relays: RelayJoin;
  readonly owners: BoundedMap<string, Owner>;
  /** Front-door ClientHello fingerprints waiting for their stunnel handshake. */
  readonly hellos: GatewayHellos;
  readonly unknownClients: GatewayUnknownClients;
  /** When the hello log may be pulled again after the node refused it (0: now). */
  helloRetryAt: number;
}

// Per GatewayControl (its poller deps object), per gateway id.
const states = new WeakMap<object, Map<string, GatewayState>>();

function stateFor(deps: OpsDeps, gatewayId: string): GatewayState {
  let perDeps = states.get(deps);
  if (!perDeps) {
    perDeps = new Map();
    states.set(deps, perDeps);
  }
  let s = perDeps.get(gatewayId);
  if (!s) {
    s = {
      parsers: {
        fwknopd: createParser('fwknopd'),
        stunnel: createParser('stunnel'),
        openvpn: createParser('openvpn'),
      },
      relays: new RelayJoin(),
      owners: new BoundedMap(CACHE_ENTRIES),
      hellos: new GatewayHellos(),
      unknownClients: new GatewayUnknownClients(),
      helloRetryAt: 0,
    };
    perDeps.set(gatewayId, s);
  }
  return s;
}

const printable = (text: string, max: number) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

async function ownerOf(deps: OpsDeps, state: GatewayState, kind: 's' | 'd', uuid: string): Promise<Owner> {
  const key = `${kind}:${uuid}`;
  const cached = state.owners.get(key);
  if (cached) return cached;
  let owner: Owner = { userAuditId: null, deviceId: kind === 'd' ? uuid : null };
  try {
    if (kind === 's') {
      const s = await deps.db.session.findUnique({
        where: { id: uuid },
        select: { deviceId: true, user: { select: { auditId: true } } },
      });
      if (s) owner = { userAuditId: s.user.auditId, deviceId: s.deviceId };
    } else {
      const d = await deps.db.desktopDevice.findUnique({
        where: { id: uuid },
        select: { user: { select: { auditId: true } } },
      });
      if (d) owner = { userAuditId: d.user.auditId, deviceId: uuid };
    }
  } catch {
    return owner; // the event goes out without the user rather than not at all
  }
  // Only what was found is kept: an unknown id is looked up again next time.
  if (owner.userAuditId !== null) state.owners.set(key, owner);
  return owner;
}

/** The audit facts of one data-plane fact on gateway `name`. */
async function auditFactsOf(
  deps: OpsDeps,
  state: GatewayState,
  name: string,
  { fact: f, fwknopId }: ResolvedFact,
): Promise<ServiceAuditFacts> {
  const { srcIp, srcPort, sessionWireId: session } = state.relays.join(f);
  const sessionId = session ? fromWireId('s', session) : null;
  const deviceFromKey = fwknopId ? fromWireId('d', fwknopId) : null;
  const owner = sessionId
    ? await ownerOf(deps, state, 's', sessionId)
    : deviceFromKey
      ? await ownerOf(deps, state, 'd', deviceFromKey)
      : null;
  const note = f.grantedIp ? `access opened for ${f.grantedIp}` : null;
  return {
    component: 'gateway',
    action: f.action,
    result: f.result,
    gateway: printable(name, 64) || null,
    src_ip: srcIp,
    src_port: srcPort,
    dst_port: f.dstPort,
    proto: f.proto,
    fwknop_id: fwknopId,
    device_id: owner?.deviceId ?? deviceFromKey,
    session_id: sessionId,
    userAuditId: owner?.userAuditId ?? null,
    ovpn_virtual_ip: f.virtualIp,
    bytes_in: f.bytesIn,
    bytes_out: f.bytesOut,
    duration_ms: f.durationMs,
    error_msg: f.reason ?? note,
  };
}

/**
 * What to record for one fact: its event, with the front door's fingerprints when it is a stunnel
 * handshake whose hello the capture saw, and then a `tls.fingerprint_unknown` when they are not in
 * the gateways' allowlist (none is judged without one).
 */
function withFrontDoorHello(
  state: GatewayState,
  fact: DataplaneFact,
  facts: ServiceAuditFacts,
  allowlist: Pick<FingerprintAllowlist, 'allows'> | null,
  nowMs: number,
): ServiceAuditFacts[] {
  if (!claimsHello(fact)) return [facts];
  const fingerprints = state.hellos.take(fact.srcIp, fact.srcPort);
  const handshake = {
    ...facts,
    tls_ja3: fingerprints?.tls_ja3 ?? null,
    tls_ja4: fingerprints?.tls_ja4 ?? null,
  };
  const unknown = allowlist
    ? state.unknownClients.unknownEvent(handshake, fingerprints, allowlist, nowMs)
    : null;
  return unknown ? [handshake, unknown] : [handshake];
}

/** Runs `pull_logs <source> <max> <after>` on the node and returns its result (a seam for tests). */
export type PullPage = (row: GatewayRow, source: IngestSource, after: string) => Promise<unknown>;

const pullOverSsh =
  (deps: OpsDeps): PullPage =>
  async (row, source, after) =>
    (
      await runControl(deps.runner, targetOf(row), {
        verb: 'pull_logs',
        args: [source, String(DATAPLANE_PAGE_LINES), after],
      })
    ).result;

/**
 * The order pages are pulled in: OpenVPN before stunnel, so every OpenVPN client in a page has its
 * stunnel line (written as it connected on) in the stunnel page pulled after it, or an earlier one;
 * the hello log after stunnel, so every handshake in the stunnel page has its hello in the hello page
 * or an earlier one even when the capture wrote it a little after stunnel logged the handshake's end
 * (a loaded node): the hello pull comes one SSH request later.
 */
const PULL_ORDER: readonly IngestSource[] = ['fwknopd', 'openvpn', 'stunnel', 'hello'];
/**
 * The order they are turned into events: stunnel first, so OpenVPN finds the TLS peer of its relay;
 * the hellos before stunnel, so each handshake finds its fingerprints.
 */
const EVENT_ORDER: readonly IngestSource[] = ['fwknopd', 'hello', 'stunnel', 'openvpn'];

/** One round over one gateway's logs (the three daemons' and the hellos); returns the lines read. */
export async function ingestDataplane(
  deps: OpsDeps,
  row: GatewayRow,
  pull: PullPage = pullOverSsh(deps),
  /** The gateways' fingerprint allowlist (tls-fingerprints/service.ts); none: nothing is judged. */
  allowlist: Pick<FingerprintAllowlist, 'allows'> | null = null,
): Promise<number> {
  const state = stateFor(deps, row.id);
  let stored = row.logCursors;
  let cursors = readLogCursors(stored);
  const pages = new Map<IngestSource, ReturnType<typeof dataplanePullResult.parse>>();
  for (const source of PULL_ORDER) {
    if (source === 'hello' && deps.now().getTime() < state.helloRetryAt) continue;
    const before = cursors[source];
    let reply: unknown;
    try {
      reply = await pull(row, source, before ?? END_CURSOR);
    } catch (err) {
      // A node older than the front-door capture refuses the source: the daemons' events still go.
      if (source !== 'hello' || !isViworksError(err, 'VIW_E_GATEWAY_COMMAND')) throw err;
      state.helloRetryAt = deps.now().getTime() + HELLO_RETRY_MS;
      continue;
    }
    const page = dataplanePullResult.parse(reply, 'VIW_E_GATEWAY_COMMAND');
    if (isForward(before, page.next_cursor, page.restarted)) pages.set(source, page);
  }
  let lines = 0;
  for (const source of EVENT_ORDER) {
    const page = pages.get(source);
    if (!page) continue;
    if (source === 'hello') {
      for (const line of page.lines) state.hellos.add(line);
    } else {
      for (const resolved of factsOfPage(state.parsers[source], page)) {
        const facts = await auditFactsOf(deps, state, row.name, resolved);
        const nowMs = deps.now().getTime();
        for (const one of withFrontDoorHello(state, resolved.fact, facts, allowlist, nowMs)) {
          await deps.audit.record(one);
        }
      }
    }
    lines += page.lines.length;
    const next = { ...cursors, [source]: page.next_cursor };
    const text = JSON.stringify(next);
    if (text === stored) continue;
    // Only from the value this round started from: a second poller never moves it twice.
    const { count } = await deps.db.gateway.updateMany({
      where: { id: row.id, logCursors: stored },
      data: { logCursors: text },
    });
    if (count === 0) break;
    stored = text;
    cursors = next;
  }
  return lines;
}
