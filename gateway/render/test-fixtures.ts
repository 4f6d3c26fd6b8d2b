// Shared inputs for the renderer tests: plausible settings and node facts whose paths all sit in one
// (temp) directory, so a real peer can be started on exactly what the renderers produced.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewaySettings } from '../../core/gateway/control.js';
import type { NodeFacts, NodePaths } from './node-facts.js';

export function sampleSettings(over: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    fqdn: 'gw1.lab.viworks.test',
    tls_port: 443,
    spa_port: 62201,
    fw_access_timeout_s: 20,
    vpn_network: '10.8.0.0/24',
    push_routes: ['10.20.0.0/16', '192.168.50.0/24'],
    push_dns: ['10.20.0.53'],
    redirect_gateway: true,
    backend_cidrs: ['203.0.113.10/32', '198.51.100.0/24'],
    ...over,
  };
}

export function pathsIn(dir: string): NodePaths {
  const at = (name: string) => join(dir, name);
  return {
    fwknopdConf: at('fwknopd.conf'),
    accessConf: at('access.conf'),
    fwknopRunDir: at('fwknop-run'),
    stunnelConf: at('stunnel.conf'),
    stunnelCert: at('stunnel-chain.pem'),
    stunnelKey: at('stunnel-key.pem'),
    stunnelPid: at('stunnel.pid'),
    stunnelLog: at('stunnel.log'),
    clientCa: at('client-ca.pem'),
    crl: at('crl.pem'),
    openvpnConf: at('openvpn.conf'),
    openvpnCa: at('openvpn-ca.pem'),
    openvpnCert: at('openvpn-cert.pem'),
    openvpnKey: at('openvpn-key.pem'),
    tlsCryptKey: at('tls-crypt.key'),
    ccdDir: at('ccd'),
    openvpnMgmtSocket: at('openvpn-mgmt.sock'),
    openvpnPid: at('openvpn.pid'),
    openvpnStatus: at('openvpn-status.log'),
    openvpnLog: at('openvpn.log'),
    iptablesRules: at('iptables.rules'),
  };
}

export function sampleFacts(dir = '/etc/viworks', over: Partial<NodeFacts> = {}): NodeFacts {
  return {
    spaInterface: 'eth0',
    listenAddress: '192.0.2.10',
    openvpnPort: 1194,
    sshPort: 2222,
    openvpnUser: { user: 'nobody', group: 'nogroup' },
    stunnelUser: { user: 'stunnel4', group: 'stunnel4' },
    paths: pathsIn(dir),
    ...over,
  };
}

/** Writes a file 0600, creating its directory: configs here may hold keys. */
export function writePrivate(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(path, content, { mode: 0o600 });
}

/** The lines of a rendered file that are not comments or blank. */
export function directives(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
}
