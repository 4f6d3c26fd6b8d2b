// Per-connection reassembly of the first bytes a client sends to the front door, up to the end of its
// ClientHello (core/tls/client-hello.ts decides when that is). The capture sees only segments with
// payload (bpf-filter.ts), so a connection starts being followed at a segment whose payload begins with
// a TLS handshake record header (a TCP Fast Open SYN's data counts from ISN + 1); later segments are
// placed by their sequence numbers, retransmissions and overlaps included (a packet both sent and
// received on interfaces `any` covers is seen twice, too), out-of-order ones held until the gap fills. A ClientHello's second segment that
// overtakes its first is lost (the connection is then not followed): rare, and it only costs that
// one fingerprint.
//
// Bounded whatever arrives: at most FLOW_MAX_BYTES per connection, MAX_COLLECTING connections being
// read (the oldest is dropped for a new one) and MAX_DONE finished ones remembered, so that the rest of
// a connection — a second ClientHello after a HelloRetryRequest, a TLS 1.2 client's next handshake
// records — is not taken for a new one. Idle connections are forgotten after FLOW_IDLE_MS.
import { CLIENT_HELLO_MAX_BYTES, type ClientHello, readClientHello } from '../../core/tls/client-hello.js';
import type { TcpSegment } from './packet.js';

/** The largest ClientHello message, its handshake header and two record headers (it needs ≤ 2). */
export const FLOW_MAX_BYTES = CLIENT_HELLO_MAX_BYTES + 4 + 2 * 5;
export const MAX_COLLECTING = 1024;
export const MAX_DONE = 8192;
export const FLOW_IDLE_MS = 10_000;
/** Segments held ahead of a gap per connection. */
const MAX_HELD = 16;
const CONTENT_HANDSHAKE = 0x16;

export interface SeenHello {
  readonly tsMs: number;
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly hello: ClientHello;
}

interface Collecting {
  readonly base: number;
  prefix: Uint8Array;
  held: { offset: number; bytes: Uint8Array }[];
  lastMs: number;
}

export interface AssemblerLimits {
  readonly maxCollecting?: number;
  readonly maxDone?: number;
  readonly idleMs?: number;
}

export class HelloAssembler {
  private readonly collecting = new Map<string, Collecting>();
  /** Finished connections → when they were last seen. */
  private readonly done = new Map<string, number>();
  private readonly maxCollecting: number;
  private readonly maxDone: number;
  private readonly idleMs: number;

  constructor(
    private readonly port: number,
    limits: AssemblerLimits = {},
  ) {
    this.maxCollecting = limits.maxCollecting ?? MAX_COLLECTING;
    this.maxDone = limits.maxDone ?? MAX_DONE;
    this.idleMs = limits.idleMs ?? FLOW_IDLE_MS;
  }

  /** Connections being read now (for tests and diagnostics). */
  get size(): { readonly collecting: number; readonly done: number } {
    return { collecting: this.collecting.size, done: this.done.size };
  }

  /** The ClientHello this segment completes, if any. */
  segment(s: TcpSegment, tsMs: number): SeenHello | null {
    this.expire(tsMs);
    if (s.dstPort !== this.port) return null;
    const key = `${s.srcIp}|${s.srcPort}|${s.dstIp}`;
    if (this.done.has(key)) {
      if (s.fin || s.rst) this.done.delete(key);
      else this.touchDone(key, tsMs);
      return null;
    }
    // The SYN itself takes one sequence number: Fast Open data starts after it.
    const seq = s.syn ? (s.seq + 1) >>> 0 : s.seq;
    let flow = this.collecting.get(key);
    if (!flow) {
      if (s.payload.length === 0 || s.payload[0] !== CONTENT_HANDSHAKE) return null;
      flow = { base: seq, prefix: new Uint8Array(0), held: [], lastMs: tsMs };
      this.collecting.set(key, flow);
      while (this.collecting.size > this.maxCollecting) this.dropOldest(this.collecting);
    } else {
      this.touchCollecting(key, flow, tsMs);
    }
    if (s.payload.length > 0 && !place(flow, (seq - flow.base) >>> 0, s.payload)) return null;
    const read = flow.prefix.length > 0 ? readClientHello(flow.prefix) : { state: 'incomplete' as const };
    const finished = read.state !== 'incomplete' || flow.prefix.length >= FLOW_MAX_BYTES || s.fin || s.rst;
    if (!finished) return null;
    this.collecting.delete(key);
    if (!s.fin && !s.rst) {
      this.done.set(key, tsMs);
      while (this.done.size > this.maxDone) this.dropOldest(this.done);
    }
    if (read.state !== 'complete') return null;
    return { tsMs, srcIp: s.srcIp, srcPort: s.srcPort, dstPort: s.dstPort, hello: read.hello };
  }

  /** Delete and set again: both maps stay in order of last use, oldest first. */
  private touchDone(key: string, tsMs: number): void {
    this.done.delete(key);
    this.done.set(key, tsMs);
  }

  private touchCollecting(key: string, flow: Collecting, tsMs: number): void {
    flow.lastMs = tsMs;
    this.collecting.delete(key);
    this.collecting.set(key, flow);
  }

  private dropOldest<V>(map: Map<string, V>): void {
    const first = map.keys().next();
    if (!first.done) map.delete(first.value);
  }

  private expire(nowMs: number): void {
    for (const [key, flow] of this.collecting) {
      if (nowMs - flow.lastMs < this.idleMs) break;
      this.collecting.delete(key);
    }
    for (const [key, last] of this.done) {
      if (nowMs - last < this.idleMs) break;
      this.done.delete(key);
    }
  }
}

/**
 * Puts `bytes` at `offset` of the connection's stream. Returns false when nothing new can follow
 * (a segment from before the start, or past the cap): the caller needs no re-read.
 */
function place(flow: Collecting, offset: number, bytes: Uint8Array): boolean {
  // Offsets past 2^31 are before the start (sequence numbers wrap): a retransmission of nothing ours.
  if (offset >= 0x8000_0000 || offset >= FLOW_MAX_BYTES) return false;
  const usable = bytes.subarray(0, FLOW_MAX_BYTES - offset);
  if (offset > flow.prefix.length) {
    if (flow.held.length < MAX_HELD) flow.held.push({ offset, bytes: usable.slice() });
    return false;
  }
  const before = flow.prefix.length;
  extend(flow, offset, usable);
  // Held segments the new bytes reached, in any order.
  for (let progress = true; progress; ) {
    progress = false;
    for (const [i, h] of flow.held.entries()) {
      if (h.offset > flow.prefix.length) continue;
      extend(flow, h.offset, h.bytes);
      flow.held.splice(i, 1);
      progress = true;
      break;
    }
  }
  return flow.prefix.length > before;
}

function extend(flow: Collecting, offset: number, bytes: Uint8Array): void {
  const fresh = bytes.subarray(flow.prefix.length - offset);
  if (fresh.length === 0) return;
  const next = new Uint8Array(flow.prefix.length + fresh.length);
  next.set(flow.prefix);
  next.set(fresh, flow.prefix.length);
  flow.prefix = next;
}
