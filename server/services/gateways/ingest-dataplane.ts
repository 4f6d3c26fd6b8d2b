// Pulls a gateway's data-plane logs (fwknopd, stunnel, OpenVPN) forward from the cursors kept in
// Gateway.logCursors, turns each step into a normalized audit event (docs/detections.md#data-plane-events)
// and advances the cursors. A gateway seen for the first time ({}) starts at the current end of
// each log: what happened before it was managed is not replayed. Per poll and source at most
// DATAPLANE_PAGE_LINES lines; the next poll goes on from there.
// The parsers (core/gateway/dataplane) keep a little state between pulls (a packet's stanza tries,
// a TLS connection until its handshake ends, an OpenVPN client until it is up), held here per
// gateway for the life of the process; after a restart a step that straddles it is not reported.
// OpenVPN sees every client as stunnel's loopback relay: the relay port ties it back to the TLS peer
// (see PULL_ORDER and EVENT_ORDER).
import { Type } from 'typebox';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import {
  dataplanePullResult,
  END_CURSOR,
  LOG_CURSOR,
  parseCursor,
} from '../../../core/gateway/dataplane/cursor.js';
import {
  createParser,
  type DataplaneFact,
  type DataplaneParser,
  type DataplaneSource,
  dataplaneFact,
} from '../../../core/gateway/dataplane/index.js';
import { BoundedMap } from '../../../core/gateway/dataplane/text.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { ServiceAuditFacts } from '../audit/service.js';
import { type GatewayRow, type OpsDeps, targetOf } from './operations.js';
import { runControl } from './runner.js';

/** Lines per source per poll. */
export const DATAPLANE_PAGE_LINES = 2000;
/** Entries of the relay-port and id caches per gateway. */
const CACHE_ENTRIES = 10_000;

const Cursor = Type.String({ maxLength: 64, pattern: LOG_CURSOR });
const LogCursors = Type.Object(
  { fwknopd: Type.Optional(Cursor), stunnel: Type.Optional(Cursor), openvpn: Type.Optional(Cursor) },
  closed,
);
const logCursors = strictValidator(LogCursors);
type LogCursors = Partial<Record<DataplaneSource, string>>;

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
 * Only forward: the same file at an equal or later offset, or another file when the node says the
 * old one is gone (restarted). Anything else from a node is refused and the cursor stays.
 */
export function isForward(before: string | undefined, after: string, restarted: boolean): boolean {
  const next = parseCursor(after);
  if (!next) return false;
  const prev = before === undefined ? null : parseCursor(before);
  if (!prev || restarted) return true;
  return prev.inode === next.inode ? next.offset >= prev.offset : false;
}

interface Owner {
  readonly userAuditId: string | null;
  readonly deviceId: string | null;
}

interface Relay {
  readonly ip: string | null;
  readonly port: number | null;
  readonly session: string | null;
}

interface GatewayState {
  readonly parsers: Record<DataplaneSource, DataplaneParser>;
  /** stunnel → OpenVPN relay port → the TLS peer and the session its certificate names. */
  readonly relays: BoundedMap<number, Relay>;
  readonly owners: BoundedMap<string, Owner>;
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
      relays: new BoundedMap(CACHE_ENTRIES),
      owners: new BoundedMap(CACHE_ENTRIES),
    };
    perDeps.set(gatewayId, s);
  }
  return s;
}

/** A fact with the device its fwknopd stanza names, resolved with the page's stanza map. */
interface Resolved {
  readonly fact: DataplaneFact;
  readonly fwknopId: string | null;
}

/** Every fact of one page, in order (fwknopd lines get the node's stanza context). */
function factsOfPage(
  parser: DataplaneParser,
  page: ReturnType<typeof dataplanePullResult.parse>,
): Resolved[] {
  const out: Resolved[] = [];
  const st = page.stanzas;
  const contextAt = (i: number) => ({ stanzaCount: st && i >= st.from_line ? st.count : null });
  const push = (facts: DataplaneFact[], i: number) => {
    for (const f of facts) {
      if (!dataplaneFact.check(f)) continue;
      const named =
        st && i >= st.from_line && f.stanza !== null ? (st.users[String(f.stanza)] ?? null) : null;
      out.push({ fact: f, fwknopId: named });
    }
  };
  for (const [i, line] of page.lines.entries()) push(parser.parse(line, contextAt(i)), i);
  if (page.eof) push(parser.flush(contextAt(page.lines.length - 1)), page.lines.length - 1);
  return out;
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
  { fact: f, fwknopId }: Resolved,
): Promise<ServiceAuditFacts> {
  let srcIp = f.srcIp;
  let srcPort = f.srcPort;
  let session = f.sessionWireId;
  if (f.source === 'stunnel' && f.relayPort !== null && f.result === 'success') {
    state.relays.set(f.relayPort, { ip: f.srcIp, port: f.srcPort, session: f.sessionWireId });
  }
  if (f.source === 'openvpn' && f.relayPort !== null) {
    const peer = state.relays.get(f.relayPort);
    if (peer) {
      srcIp = peer.ip;
      srcPort = peer.port;
      // The certificate stunnel verified is the one OpenVPN sees: it names the session either way.
      session ??= peer.session;
    }
    if (f.action !== 'ovpn.connect') state.relays.delete(f.relayPort);
  }
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

/** Runs `pull_logs <source> <max> <after>` on the node and returns its result (a seam for tests). */
export type PullPage = (row: GatewayRow, source: DataplaneSource, after: string) => Promise<unknown>;

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
 * stunnel line (written as it connected on) in the stunnel page pulled after it, or an earlier one.
 */
const PULL_ORDER: readonly DataplaneSource[] = ['fwknopd', 'openvpn', 'stunnel'];
/** The order they are turned into events: stunnel first, so OpenVPN finds the TLS peer of its relay. */
const EVENT_ORDER: readonly DataplaneSource[] = ['fwknopd', 'stunnel', 'openvpn'];

/** One round over the three logs of one gateway; returns how many lines were read. */
export async function ingestDataplane(
  deps: OpsDeps,
  row: GatewayRow,
  pull: PullPage = pullOverSsh(deps),
): Promise<number> {
  const state = stateFor(deps, row.id);
  let stored = row.logCursors;
  let cursors = readLogCursors(stored);
  const pages = new Map<DataplaneSource, ReturnType<typeof dataplanePullResult.parse>>();
  for (const source of PULL_ORDER) {
    const before = cursors[source];
    const page = dataplanePullResult.parse(
      await pull(row, source, before ?? END_CURSOR),
      'VIW_E_GATEWAY_COMMAND',
    );
    if (isForward(before, page.next_cursor, page.restarted)) pages.set(source, page);
  }
  let lines = 0;
  for (const source of EVENT_ORDER) {
    const page = pages.get(source);
    if (!page) continue;
    for (const resolved of factsOfPage(state.parsers[source], page)) {
      await deps.audit.record(await auditFactsOf(deps, state, row.name, resolved));
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
