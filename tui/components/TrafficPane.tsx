// While connected: what the tunnel carried and when it last carried something, and how long each
// connect step took — exactly what the daemon's Status says, nothing measured here.
import { Box, Text } from 'ink';
import { formatMs, type Status } from '../../core/localclient/index.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function ago(at: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export function TrafficPane({
  traffic,
  timings,
  now,
}: {
  readonly traffic: Status['traffic'];
  readonly timings: Status['timings'];
  readonly now: number;
}) {
  const t = timings;
  return (
    <Box flexDirection="column">
      {traffic ? (
        <Text>
          Traffic: ↓ {formatBytes(traffic.bytes_in)} in · ↑ {formatBytes(traffic.bytes_out)} out · last
          activity {ago(traffic.last_activity_at, now)}
        </Text>
      ) : (
        <Text dimColor>Traffic: none yet</Text>
      )}
      <Text>
        Timings: login {formatMs(t.login_ms)} · bootstrap {formatMs(t.bootstrap_ms)} · SPA{' '}
        {formatMs(t.spa_ms)} · TLS {formatMs(t.tls_handshake_ms)} · OpenVPN {formatMs(t.openvpn_ms)} · total{' '}
        {formatMs(t.total_connect_ms)}
      </Text>
    </Box>
  );
}
