// The engine's plug points. The connect sequence (connect.ts) calls these in order:
//   Preflight → SpaSender → TlsProxyStarter → OpenVpnStarter
// The system preflight lives here (system-preflight.ts); the data path implements the rest: the SPA
// sender (daemon/datapath/spa-sender.ts), the TLS proxy (daemon/datapath/tls-proxy*) and the
// OpenVPN runner (daemon/datapath/openvpn/*). Contract for every start(): resolve only when the step is done, reject
// with a ViworksError (the code decides whether the engine retries), honour `signal` (abort = stop
// what was started and reject), never log or persist secret material, and make `stop()` idempotent.
import type { Static } from 'typebox';
import type { PreflightCheckSchema } from '../../core/api/local.js';
import type { BootstrapSecrets, PublicBootstrap } from '../../core/bootstrap/opened.js';
import type { PinSet } from '../../core/crypto/pins.js';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import type { SpaAccessPort } from '../../core/spa/index.js';

export type PreflightCheck = Static<typeof PreflightCheckSchema>;

/** Why a started component stopped. `code` null: a requested stop. */
export interface StopInfo {
  readonly code: ErrorCode | null;
  /** Short and safe (no secrets, no addresses from the bootstrap). */
  readonly detail: string;
  /**
   * Whether a fresh attempt (new knock, new proxy, new OpenVPN) can reasonably succeed; absent:
   * unknown, decided by the code (restart.ts). A start() rejection may carry the same flag.
   */
  readonly retryable?: boolean;
  /**
   * VIW_E_PIN_MISMATCH: the SPKI pin (sha256, base64) of the key the peer presented, when known
   * (the engine reports it: client.pin_mismatch). A start() rejection may carry the same field.
   */
  readonly presentedPin?: string;
}

/** Something the engine started and must be able to stop. */
export interface Stoppable {
  /** Idempotent; resolves once the component has released everything (sockets, processes). */
  stop(): Promise<void>;
  /** Settles when the component stops for any reason (requested or not); never rejects. */
  readonly done: Promise<StopInfo>;
}

// ── SPA ────────────────────────────────────────────────────────────────────────────────────────

export interface SpaKnock {
  /** The gateway's address (resolved once by the engine; TLS dials the same one). */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Raw keys, valid only until send() settles: the engine wipes them right after. */
  readonly encKey: Uint8Array;
  readonly hmacKey: Uint8Array;
  readonly accessPorts: readonly SpaAccessPort[];
  /** Seconds the gateway keeps the door open (bootstrap spa.ttl_s). */
  readonly clientTimeout: number;
}

export interface SpaSender {
  /** Sends one knock; resolves with the source address it asked the gateway to open for. */
  send(knock: SpaKnock, signal: AbortSignal): Promise<{ readonly accessIp: string }>;
}

// ── TLS proxy (daemon/datapath/tls-proxy*) ───────────────────────────────────────────────────

export interface TlsProxyStartParams {
  /** Wire session id (`s-…`), for logs and metrics. */
  readonly sessionId: string;
  /** The name to verify in the gateway's certificate (SNI + hostname check). */
  readonly gatewayFqdn: string;
  /** The address to dial: the one the SPA knock opened. */
  readonly gatewayHost: string;
  readonly gatewayPort: number;
  /** SPKI pins (primary + backup); a key matching neither is VIW_E_PIN_MISMATCH, fail closed. */
  readonly gatewayPins: PinSet;
  /** Trust anchors for the gateway chain: the bootstrap's CA chain (ovpn.ca_inline). */
  readonly gatewayCaPem: string;
  /**
   * The session's client certificate and key (ovpn.cert_inline / key_inline): the gateway's
   * stunnel requires one (`verify = 2`). Memory only: handed to the TLS library, never to a file.
   */
  readonly clientCertPem: string;
  /** The session's Buffer (core/bootstrap/opened.ts): the proxy copies it, never keeps or wipes it. */
  readonly clientKeyPem: Uint8Array;
  readonly signal: AbortSignal;
}

export interface TlsProxyHandle extends Stoppable {
  /** Loopback listener OpenVPN connects to. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** Duration of the pinned TLS 1.3 handshake made during start(), if one was made. */
  readonly handshakeMs: number | null;
  /**
   * When the pinned connection to the gateway was established (performance.now()); null until then
   * (a proxy that dials on accept knows it once OpenVPN has connected). The engine's tls_latency.
   */
  readonly establishedAt: number | null;
  /** Live byte counters and the time of the last traffic (status `traffic`, idle auto-logout). */
  traffic(): TrafficCounters;
}

/**
 * What a tunnel carried so far, read cheaply at any time. Bytes are the plaintext OpenVPN stream
 * (OpenVPN's packets, not the TLS records around them).
 */
export interface TrafficCounters {
  /** Bytes received from the gateway (into this machine). */
  readonly bytesIn: number;
  /** Bytes sent towards the gateway. */
  readonly bytesOut: number;
  /**
   * Monotonic ms (performance.now()) of the last traffic in either direction, or of the start when
   * there was none yet. OpenVPN's keepalive pings are not traffic here (tls-proxy-pump.ts).
   */
  readonly lastActivityMs: number;
}

export interface TlsProxyStarter {
  /**
   * Starts the loopback proxy. Best: resolve only once a pinned handshake with the gateway has
   * succeeded (keeping that verified connection for OpenVPN's first accept), so a closed door shows
   * here: reject with VIW_E_PIN_MISMATCH (never retried) or VIW_E_TLS_FAILED (the engine knocks
   * again, up to 3 times with jitter). A proxy that dials only on accept may resolve once it
   * listens (handshakeMs null); it must then settle `done` with the failure's code as soon as the
   * first upstream connection fails, and the engine ends the attempt with that code.
   */
  start(p: TlsProxyStartParams): Promise<TlsProxyHandle>;
  /** Optional extra preflight checks (e.g. gateway DNS resolution as the proxy will do it). */
  preflight?(): Promise<PreflightCheck[]>;
}

// ── OpenVPN (daemon/datapath/openvpn/*) ──────────────────────────────────────────────────────

export interface OpenVpnStartParams {
  readonly sessionId: string;
  /** The TLS proxy's loopback listener (`remote` in the stdin config). */
  readonly remoteHost: string;
  readonly remotePort: number;
  /**
   * The gateway's resolved address (the one SPA knocked). A full tunnel through a loopback proxy
   * must route this address outside the tunnel, or def1 would capture the proxy's own connection.
   */
  readonly gatewayHost: string;
  /**
   * The enrolled backend's IPv4 addresses (non-loopback), also routed outside the tunnel so the
   * daemon's heartbeats and revocation stream keep going direct over pinned HTTPS. The leak check
   * accepts exactly these and the gateway's /32 routes outside the tunnel.
   */
  readonly bypassHosts?: readonly string[];
  /** The bootstrap's OpenVPN policy: CA, certificate, ciphers, routes, DNS (no secret). */
  readonly ovpn: PublicBootstrap['ovpn'];
  /**
   * The session's tls-crypt key and client key (Buffers it owns; core/bootstrap/opened.ts): copied
   * into the stdin config, which is wiped once written — never disk, argv or logs.
   */
  readonly secrets: OvpnSecrets;
  readonly signal: AbortSignal;
}

/** What OpenVPN's config needs of the session's secrets. */
export type OvpnSecrets = Pick<BootstrapSecrets, 'tlsCryptKey' | 'clientKeyPem'>;

export interface OpenVpnHandle extends Stoppable {
  /** The tunnel address once "Initialization Sequence Completed", if known. */
  readonly virtualIp: string | null;
  /** The tun interface it configured (for the pushed DNS and the leak checks), if known. */
  readonly tunDevice?: string | null;
}

export interface OpenVpnStarter {
  /** Resolves on "Initialization Sequence Completed"; rejects with VIW_E_OPENVPN_FAILED. */
  start(p: OpenVpnStartParams): Promise<OpenVpnHandle>;
  /** Optional extra preflight checks (binary present, version, /dev/net/tun). */
  preflight?(): Promise<PreflightCheck[]>;
}

// ── Preflight ────────────────────────────────────────────────────────────────────────────────

export interface PreflightContext {
  /** Round trip to the enrolled backend (null when not enrolled). */
  readonly health: (() => Promise<{ elapsedMs: number; serverDateMs: number | null }>) | null;
  /** The opened bootstrap during connect (its policy); null for GET /v1/preflight. */
  readonly payload: PublicBootstrap | null;
  /** True when this daemon's own tunnel is up (its interface is then expected). */
  readonly tunnelUp: boolean;
}

export interface Preflight {
  run(ctx: PreflightContext): Promise<PreflightCheck[]>;
}
