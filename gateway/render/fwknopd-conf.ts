// fwknopd.conf for fwknopd 2.6.10 (docs/architecture.md#fwknopd-config, adapted to what the real daemon
// accepts: its 2.6 names are ENABLE_IPT_FORWARDING / FW_ACCESS_TIMEOUT etc.; REQUIRE_SOURCE_ADDRESS and the
// timeouts are per-stanza settings and live in access.conf). Every key below was checked against
// `fwknopd --dump-config` of Debian's fwknop-server.
import type { GatewaySettings } from '../../core/gateway/control.js';
import { type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkSettings, renderLines } from './values.js';

/** fwknopd refuses packets whose timestamp is further than this from its clock (seconds). */
export const MAX_SPA_PACKET_AGE_S = 120;

export function renderFwknopdConf(settings: GatewaySettings, facts: NodeFacts): string {
  const s = checkSettings(settings);
  const f = validateNodeFacts(facts);
  const p = f.paths;
  // fwknopd's own format: `KEY value;` (the `;` is stripped by its parser, as in Debian's file).
  const kv = (key: string, value: string | number) => `${key} ${value};`;
  return renderLines([
    '# SPA packets are read with libpcap on this interface, before netfilter: no ACCEPT rule for the',
    '# SPA port exists or is needed, so the gateway stays silent to probes.',
    kv('PCAP_INTF', f.spaInterface),
    kv('PCAP_FILTER', `udp port ${s.spa_port}`),
    kv('ENABLE_PCAP_PROMISC', 'N'),
    kv('ENABLE_SPA_PACKET_AGING', 'Y'),
    kv('MAX_SPA_PACKET_AGE', MAX_SPA_PACKET_AGE_S),
    '# Replays are refused across restarts: the digest cache lives in the run dir.',
    kv('ENABLE_DIGEST_PERSISTENCE', 'Y'),
    kv('FWKNOP_RUN_DIR', p.fwknopRunDir),
    kv('ACCESS_FILE', p.accessConf),
    kv('FIREWALL_EXE', '/usr/sbin/iptables'),
    '# Only INPUT access to this host: no forwarding, NAT or OUTPUT rules, no SPA over TCP/HTTP.',
    kv('ENABLE_IPT_FORWARDING', 'N'),
    kv('ENABLE_IPT_LOCAL_NAT', 'N'),
    kv('ENABLE_IPT_SNAT', 'N'),
    kv('ENABLE_IPT_OUTPUT', 'N'),
    kv('ENABLE_NAT_DNS', 'N'),
    kv('ENABLE_SPA_OVER_HTTP', 'N'),
    kv('ENABLE_TCP_SERVER', 'N'),
    kv('ENABLE_UDP_SERVER', 'N'),
    kv('ENABLE_X_FORWARDED_FOR', 'N'),
    '# fwknopd owns its FWKNOP_INPUT chain: start and end with it empty; rules carry expiry comments.',
    kv('FLUSH_IPT_AT_INIT', 'Y'),
    kv('FLUSH_IPT_AT_EXIT', 'Y'),
    kv('ENABLE_IPT_COMMENT_CHECK', 'Y'),
  ]);
}
