// When a data-plane step happened, as precisely as its log says. The normalizer runs on the node,
// beside the daemons, with the same local time zone (both read /etc/localtime), so the local time
// stunnel and OpenVPN print without a zone can be placed on the timeline here — which the backend,
// reading them from afar, cannot do. fwknopd prints no time (and OpenVPN none under systemd, which
// runs it with --suppress-timestamps): those events carry the time the normalizer read the line.
import type { DataplaneFact } from '../../core/gateway/dataplane/index.js';

const AT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** The instant of the step: its line's time when it has one, else `readAt`. */
export function eventInstant(f: DataplaneFact, readAt: Date): Date {
  const m = f.at === null ? null : AT_RE.exec(f.at);
  if (!m) return readAt;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  // The disconnect hook prints Unix seconds, which the parser turned into UTC; the rest is local.
  const at =
    f.action === 'ovpn.disconnect'
      ? new Date(Date.UTC(y, mo - 1, d, h, mi, s))
      : new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(at.getTime()) ? readAt : at;
}
