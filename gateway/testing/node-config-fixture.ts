// A complete gw.json for tests: every path under one temp root, direct service mode, Debian's
// binaries. Written root-owned and 0644 as the loader demands.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NodeConfig, parseNodeConfig } from '../node-config.js';

export interface NodeConfigFixture {
  readonly root: string;
  readonly path: string;
  readonly config: NodeConfig;
}

export interface FixtureOptions {
  readonly spaInterface?: string;
  readonly listenAddress?: string;
  /** binaries.nft (default: left out, viworks-gw uses /usr/sbin/nft). */
  readonly nft?: string;
}

export function nodeConfigDoc(root: string, opts: FixtureOptions = {}) {
  const etc = join(root, 'etc');
  const run = join(root, 'run');
  const log = join(root, 'log');
  return {
    v: 1,
    facts: {
      spaInterface: opts.spaInterface ?? 'lo',
      listenAddress: opts.listenAddress ?? '127.0.0.1',
      openvpnPort: 1194,
      sshPort: 2222,
      openvpnUser: null,
      stunnelUser: null,
      paths: {
        fwknopdConf: join(etc, 'fwknop/fwknopd.conf'),
        accessConf: join(etc, 'fwknop/access.conf'),
        fwknopRunDir: join(run, 'fwknop'),
        stunnelConf: join(etc, 'stunnel/viworks-gw.conf'),
        stunnelCert: join(etc, 'stunnel/server.pem'),
        stunnelKey: join(etc, 'stunnel/server.key'),
        stunnelPid: join(run, 'stunnel-gw.pid'),
        stunnelLog: join(log, 'stunnel.log'),
        clientCa: join(etc, 'stunnel/client-ca.pem'),
        crl: join(etc, 'pki/crl.pem'),
        openvpnConf: join(etc, 'openvpn/server.conf'),
        openvpnCa: join(etc, 'openvpn/ca.crt'),
        openvpnCert: join(etc, 'openvpn/server.crt'),
        openvpnKey: join(etc, 'openvpn/server.key'),
        tlsCryptKey: join(etc, 'openvpn/tls-crypt.key'),
        ccdDir: join(etc, 'openvpn/ccd'),
        openvpnMgmtSocket: join(run, 'openvpn-mgmt.sock'),
        openvpnPid: join(run, 'openvpn.pid'),
        openvpnStatus: join(log, 'openvpn-status.log'),
        openvpnLog: join(log, 'openvpn.log'),
        iptablesRules: join(etc, 'viworks/iptables.rules'),
      },
    },
    state_dir: join(root, 'state'),
    audit_log: join(log, 'viworks-gw-audit.log'),
    service_mode: 'direct',
    binaries: {
      fwknopd: '/usr/sbin/fwknopd',
      stunnel: '/usr/bin/stunnel4',
      openvpn: '/usr/sbin/openvpn',
      iptables: '/usr/sbin/iptables',
      iptables_restore: '/usr/sbin/iptables-restore',
      ...(opts.nft ? { nft: opts.nft } : {}),
    },
  };
}

/** A fresh root (0755, so sshd's StrictModes-style checks and non-root readers are not tripped). */
export function createNodeConfig(opts: FixtureOptions = {}): NodeConfigFixture {
  const root = mkdtempSync(join(tmpdir(), 'viw-gw-'));
  for (const d of ['etc', 'run', 'log', 'state']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  const doc = nodeConfigDoc(root, opts);
  const path = join(root, 'gw.json');
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o644 });
  return { root, path, config: parseNodeConfig(doc) };
}
