// OpenVPN listens on loopback behind stunnel, so it sees every client as 127.0.0.1:<relay port>.
// stunnel logs that port when it connects a TLS client through (`connected remote server from
// 127.0.0.1:R`), so the relay port ties an OpenVPN client back to the TLS peer and the session its
// certificate named. One implementation for both readers of the logs: the backend's ingest
// (server/services/gateways/ingest-dataplane.ts) and the node's own normalizer (gateway/observe/).
// Facts must be joined in log order per source, stunnel's before OpenVPN's of the same round.
import { BoundedMap } from './text.js';
import type { DataplaneFact } from './types.js';

/** The TLS peer behind one relay port, as stunnel saw it. */
export interface TlsPeer {
  readonly ip: string | null;
  readonly port: number | null;
  readonly session: string | null;
}

/** Who a fact is about, after the join: OpenVPN facts name the TLS peer instead of the relay. */
export interface JoinedSource {
  readonly srcIp: string | null;
  readonly srcPort: number | null;
  readonly sessionWireId: string | null;
}

/** Relay ports remembered by default (the oldest is forgotten first). */
export const RELAY_JOIN_ENTRIES = 10_000;

export class RelayJoin {
  private readonly relays: BoundedMap<number, TlsPeer>;

  constructor(cap = RELAY_JOIN_ENTRIES) {
    this.relays = new BoundedMap(cap);
  }

  /**
   * Records what a stunnel fact says about its relay port and returns the source the fact's event
   * carries. An OpenVPN client's relay entry is kept until its tunnel ends (connect keeps it for the
   * disconnect; a disconnect or a failed handshake frees it). Without a known relay the fact keeps
   * what its own line said.
   */
  join(f: DataplaneFact): JoinedSource {
    const own = { srcIp: f.srcIp, srcPort: f.srcPort, sessionWireId: f.sessionWireId };
    if (f.relayPort === null) return own;
    if (f.source === 'stunnel') {
      if (f.result === 'success') {
        this.relays.set(f.relayPort, { ip: f.srcIp, port: f.srcPort, session: f.sessionWireId });
      }
      return own;
    }
    if (f.source !== 'openvpn') return own;
    const peer = this.relays.get(f.relayPort);
    if (f.action !== 'ovpn.connect') this.relays.delete(f.relayPort);
    if (!peer) return own;
    // The certificate stunnel verified is the one OpenVPN sees: it names the session either way.
    return { srcIp: peer.ip, srcPort: peer.port, sessionWireId: f.sessionWireId ?? peer.session };
  }

  /** The most recent `max` entries, oldest first (for a reader that persists them across restarts). */
  snapshot(max: number): [number, TlsPeer][] {
    return this.relays.entries().slice(-max);
  }

  /** Puts back entries from snapshot(), in their order. */
  restore(entries: readonly (readonly [number, TlsPeer])[]): void {
    for (const [port, peer] of entries) this.relays.set(port, peer);
  }
}
