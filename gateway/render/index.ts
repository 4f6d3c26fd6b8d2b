// The gateway's configuration renderers: pure functions from typed settings and node facts to file
// contents. viworks-gw writes what they return atomically; nothing else builds these files.
export { type AccessEntry, MAX_ACCESS_ENTRIES, NO_DEVICE_USERNAME, renderAccessConf } from './access-conf.js';
export { renderAuthorizedKeysLine } from './authorized-keys.js';
export { MAX_SPA_PACKET_AGE_S, renderFwknopdConf } from './fwknopd-conf.js';
export { renderIptablesRules, VIWORKS_INPUT_CHAIN, VIWORKS_INPUT_JUMP } from './iptables-rules.js';
export {
  type ForwarderPaths,
  forwarderPaths,
  fwknopdLogIn,
  type NodeFacts,
  type NodePaths,
  validateNodeFacts,
} from './node-facts.js';
export { renderOpenVpnServerConf, SESSION_CN_PREFIX } from './openvpn-server-conf.js';
export { type ForwarderLocal, renderRsyslogConf, SIEM_APP_NAMES } from './rsyslog-conf.js';
export { renderSshdConfig, type SshdConfigOptions } from './sshd-config.js';
export { renderStunnelConf, STUNNEL_SERVICE, TLS13_CIPHERSUITES } from './stunnel-conf.js';
export { renderSystemdUnits, type SystemdUnitsOptions, UNIT_NAMES } from './systemd-units.js';
export { GENERATED_HEADER } from './values.js';
