// The metrics listener's settings (server/metrics/README.md): where it listens and where its bearer token
// lives. Off unless `listen` is set: a high-assurance backend opens no listener nobody asked for.
// The schema is what server/config.ts embeds as `metrics`; parseListen() turns the one string into
// a host and a port, refusing anything but an address literal or `localhost`.
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { closed } from '../../core/schema/strict.js';

export const MetricsSettingsSchema = Type.Object(
  {
    /**
     * `host:port` (`[v6]:port` for IPv6) or a bare port (then on 127.0.0.1); null: no listener.
     * Plain HTTP: anywhere but loopback the token crosses the network in clear (a warning at start).
     */
    listen: Type.Union([
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z.:\\[\\]]+$' }),
      Type.Null(),
    ]),
    /** The bearer token's file (0600, made with a random token if absent); null: <dataDir>/metrics/token. */
    tokenFile: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
  },
  closed,
);

export type MetricsSettings = Static<typeof MetricsSettingsSchema>;

export const METRICS_DEFAULTS: MetricsSettings = { listen: null, tokenFile: null };

/** Where a bare port (`VIWORKS_METRICS_LISTEN=9464`) listens. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

function invalid(detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', { details: [`metrics.listen: ${detail}`] });
}

function port(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw invalid('the port is not a number');
  const n = Number(text);
  // 0 lets the system choose (tests); anything else a real port.
  if (n > 65535) throw invalid('the port is out of range');
  return n;
}

/** `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464` or `9464`. Throws VIW_E_CONFIG naming the setting. */
export function parseListen(listen: string): ListenAddress {
  if (/^[0-9]+$/.test(listen)) return { host: DEFAULT_METRICS_HOST, port: port(listen) };
  const v6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(listen);
  if (v6) {
    if (!IPV6.test(v6[1]!) || !v6[1]!.includes(':')) throw invalid('not an IPv6 address');
    return { host: v6[1]!, port: port(v6[2]!) };
  }
  const at = listen.lastIndexOf(':');
  if (at <= 0) throw invalid('expected host:port');
  const host = listen.slice(0, at);
  if (host !== 'localhost' && !IPV4.test(host))
    throw invalid('the host must be an IPv4 address or localhost');
  return { host, port: port(listen.slice(at + 1)) };
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. Elsewhere the token travels in clear. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Where the token lives: the configured file, else <dataDir>/metrics/token. */
export function metricsTokenPath(dataDir: string, settings: Pick<MetricsSettings, 'tokenFile'>): string {
  return settings.tokenFile ?? join(dataDir, 'metrics', 'token');
}
