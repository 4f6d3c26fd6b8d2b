// The primary shipping path (pki-siem §4.4): RFC 5424 messages, RFC 5425 octet-counted, over TLS 1.3
// with mutual TLS, one connection per batch.
//
// Plain syslog has no acknowledgement, so receipt is proven by the close: we write the batch, wait a
// refusal window, then half-close; a receiver that reads to our EOF closes in turn (rsyslog does:
// its imtcp session ends on EOF, after every message before it has been submitted; with the ruleset
// queue in Direct mode, after the action ran). A receiver that refused our certificate also just
// closes (rsyslog sends no alert), but right after the handshake: the refusal window exists to tell
// the two apart. Anything short of "it closed cleanly after our EOF" is a retryable ShipError; the
// batch is sent again and the receiver de-duplicates by sequenceId.
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import {
  checkServerIdentity,
  connect,
  createSecureContext,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../../config.js';
import { formatSyslogMessage, frameOctetCounted, renderNativeBody } from './rfc5424.js';
import { ShipError, type ShippedRecord, type ShipTransport } from './transport.js';

export type SyslogConfig = NonNullable<ServerConfig['siem']['syslog']>;

export interface SyslogTransportOptions {
  readonly host: string;
  readonly port: number;
  /** The name the receiver's certificate must carry; default host. */
  readonly serverName?: string | null;
  readonly ca: Buffer;
  /** Our client certificate (chain), PEM. */
  readonly cert: Buffer;
  /** Our private key, PEM; wiped (filled with zeros) once the TLS context holds it. */
  readonly key: Buffer;
  /** HOSTNAME of every message; default this machine's name. */
  readonly hostname?: string;
  /** MSG of every message; default the native JSON body (renderNativeBody). */
  readonly render?: (record: ShippedRecord) => string;
  /** TCP connect + TLS handshake; default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long the receiver must keep the connection open after the handshake before we half-close
   * (at least as long as the handshake took); default 250 ms. Measured against rsyslog on loopback:
   * with no window, half of the sends to a receiver that refused our certificate looked delivered.
   */
  readonly refusalWindowMs?: number;
  /** From our half-close to the receiver's close; default 30 s. */
  readonly closeTimeoutMs?: number;
}

/** Reads the CA, certificate and key files named by siem.syslog at start (VIW_E_CONFIG when unusable). */
export function loadSyslogTransport(
  config: SyslogConfig,
  opts: Pick<SyslogTransportOptions, 'hostname' | 'render'> = {},
): ShipTransport {
  const read = (field: 'caFile' | 'certFile' | 'keyFile', secret: boolean): Buffer => {
    const path = config[field];
    try {
      if (secret && (statSync(path).mode & 0o004) !== 0)
        throw new ViworksError('VIW_E_CONFIG', { details: [`siem.syslog.${field}: readable by everyone`] });
      return readFileSync(path);
    } catch (err) {
      if (err instanceof ViworksError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ViworksError('VIW_E_CONFIG', { details: [`siem.syslog.${field}: ${code}`] });
    }
  };
  return createSyslogTransport({
    host: config.host,
    port: config.port,
    serverName: config.serverName,
    ca: read('caFile', false),
    cert: read('certFile', false),
    key: read('keyFile', true),
    ...opts,
  });
}

export function createSyslogTransport(opts: SyslogTransportOptions): ShipTransport {
  const context = secureContextOf(opts);
  const expectedName = opts.serverName ?? opts.host;
  const header = { hostname: opts.hostname ?? osHostname(), procId: String(process.pid) };
  const render = opts.render ?? renderNativeBody;
  const sockets = new Set<TLSSocket>();
  let closed = false;

  return {
    path: 'syslog',
    async send(records) {
      if (closed) throw new ShipError('syslog transport closed', false);
      if (records.length === 0) return;
      let payload: Buffer;
      try {
        payload = Buffer.concat(
          records.map((r) => frameOctetCounted(formatSyslogMessage(r, header, render))),
        );
      } catch {
        throw new ShipError(
          `audit events ${records[0]?.seq}..${records.at(-1)?.seq}: one is too large for a syslog message`,
          false,
        );
      }
      const socket = connect({
        host: opts.host,
        port: opts.port,
        secureContext: context,
        minVersion: 'TLSv1.3',
        ...(isIP(expectedName) ? {} : { servername: expectedName }),
        checkServerIdentity: (_host, cert) => checkServerIdentity(expectedName, cert),
      });
      sockets.add(socket);
      try {
        await deliver(socket, payload, {
          connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
          refusalWindowMs: opts.refusalWindowMs ?? 250,
          closeTimeoutMs: opts.closeTimeoutMs ?? 30_000,
        });
      } finally {
        sockets.delete(socket);
        socket.destroy();
      }
    },
    async close() {
      closed = true;
      for (const s of sockets) s.destroy(new Error('transport closed'));
    },
  };
}

function secureContextOf(opts: SyslogTransportOptions): SecureContext {
  try {
    return createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key, minVersion: 'TLSv1.3' });
  } catch (err) {
    // OpenSSL's reason (e.g. "key values mismatch") names no key material.
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`siem.syslog: TLS credentials unusable (${reason})`.slice(0, 160)],
    });
  } finally {
    opts.key.fill(0);
  }
}

/** Certificate problems on the receiver's side: retrying will not help until someone fixes it. */
const TRUST_ERRORS =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/;

interface Deadlines {
  readonly connectTimeoutMs: number;
  readonly refusalWindowMs: number;
  readonly closeTimeoutMs: number;
}

/** Resolves only when the receiver closed cleanly after reading up to our half-close. */
function deliver(socket: TLSSocket, payload: Buffer, d: Deadlines): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let phase: 'connecting' | 'refusal-window' | 'closing' = 'connecting';
    let peerEnded = false;
    const started = performance.now();
    let timer = setTimeout(() => fail(`no TLS session within ${d.connectTimeoutMs} ms`), d.connectTimeoutMs);
    const fail = (why: string, retryable = true) => {
      clearTimeout(timer);
      reject(new ShipError(`syslog receiver: ${why}`, retryable));
      socket.destroy();
    };
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      phase = 'refusal-window';
      socket.write(payload);
      // A refusal reaches us about one round trip after our handshake ends; the handshake took about
      // two (TCP + TLS 1.3), so waiting at least that long covers a distant receiver too.
      const window = Math.max(d.refusalWindowMs, performance.now() - started);
      timer = setTimeout(() => {
        phase = 'closing';
        socket.end();
        timer = setTimeout(
          () => fail(`no close within ${d.closeTimeoutMs} ms of our end of stream`),
          d.closeTimeoutMs,
        );
      }, window);
    });
    socket.on('data', () => fail('sent data; a syslog receiver never does'));
    socket.on('end', () => {
      if (phase !== 'closing')
        fail(`closed the connection before our end of stream (${phase}); did it refuse our certificate?`);
      else peerEnded = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      fail(`${code} while ${phase}`, !TRUST_ERRORS.test(code));
    });
    socket.on('close', (hadError) => {
      if (phase === 'closing' && peerEnded && !hadError) {
        clearTimeout(timer);
        resolve();
      } else fail(`connection closed while ${phase}`);
    });
  });
}
