// The lab's gateway node before the backend has touched it: a directory laid out like /etc + /run on
// a real node, viworks-gw's gw.json, an SSH host key, and OpenSSH's sshd on port 2222 whose only
// authorized key is the backend's control key, restricted to `command="viworks-gw …"`. Everything
// else (fwknopd, stunnel, OpenVPN, the firewall) is brought up by the backend over SSH (provision).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAuthorizedKeysLine } from '../../gateway/render/authorized-keys.js';
import type { NodeFacts } from '../../gateway/render/node-facts.js';
import { renderSshdConfig } from '../../gateway/render/sshd-config.js';
import { runOk } from '../testkit/netns.js';
import type { LabPlan } from './plan.js';
import { startDetached, tail, waitForTcp } from './process.js';
import { repoPath } from './repo.js';

export const SSH_PORT = 2222;

export interface GatewayNodeInfo {
  readonly configPath: string;
  readonly hostKeyFingerprint: string;
  readonly sshdPid: number;
  readonly auditLog: string;
}

function layout(root: string) {
  const d = (...p: string[]) => join(root, ...p);
  return {
    dirs: [
      d('etc', 'fwknop'),
      d('etc', 'stunnel'),
      d('etc', 'openvpn', 'ccd'),
      d('etc', 'ssh'),
      d('run', 'fwknop'),
      d('run', 'openvpn'),
      d('log'),
      d('state'),
      d('pki'),
    ],
    facts: (plan: LabPlan): NodeFacts => ({
      spaInterface: plan.gateway.ifname,
      listenAddress: plan.gateway.address,
      openvpnPort: 1194,
      sshPort: SSH_PORT,
      openvpnUser: null,
      stunnelUser: null,
      paths: {
        fwknopdConf: d('etc', 'fwknop', 'fwknopd.conf'),
        accessConf: d('etc', 'fwknop', 'access.conf'),
        fwknopRunDir: d('run', 'fwknop'),
        stunnelConf: d('etc', 'stunnel', 'viworks-gw.conf'),
        stunnelCert: d('etc', 'stunnel', 'server.pem'),
        stunnelKey: d('etc', 'stunnel', 'server.key'),
        stunnelPid: d('run', 'stunnel.pid'),
        stunnelLog: d('log', 'stunnel.log'),
        clientCa: d('pki', 'client-ca.pem'),
        crl: d('pki', 'crl.pem'),
        openvpnConf: d('etc', 'openvpn', 'server.conf'),
        openvpnCa: d('etc', 'openvpn', 'ca.crt'),
        openvpnCert: d('etc', 'openvpn', 'server.crt'),
        openvpnKey: d('etc', 'openvpn', 'server.key'),
        tlsCryptKey: d('etc', 'openvpn', 'tls-crypt.key'),
        ccdDir: d('etc', 'openvpn', 'ccd'),
        openvpnMgmtSocket: d('run', 'openvpn', 'mgmt.sock'),
        openvpnPid: d('run', 'openvpn', 'openvpn.pid'),
        openvpnStatus: d('log', 'openvpn-status.log'),
        openvpnLog: d('log', 'openvpn.log'),
        iptablesRules: d('etc', 'iptables.rules'),
      },
    }),
  };
}

/** OpenSSH's fingerprint form of a host key: `SHA256:<base64 without padding>`. */
async function fingerprint(pubFile: string): Promise<string> {
  const out = await runOk(['/usr/bin/ssh-keygen', '-l', '-E', 'sha256', '-f', pubFile]);
  const fp = out.split(/\s+/)[1] ?? '';
  if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(fp)) throw new Error(`unexpected ssh-keygen output: ${out.trim()}`);
  return fp;
}

export async function prepareGatewayNode(plan: LabPlan, controlKey: string): Promise<GatewayNodeInfo> {
  const root = plan.dirs.gateway;
  const l = layout(root);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const dir of l.dirs) mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync(join(root, 'state'), { recursive: true, mode: 0o700 });
  const ssh = join(root, 'etc', 'ssh');
  const hostKey = join(ssh, 'ssh_host_ed25519_key');
  await runOk([
    '/usr/bin/ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `viworks-lab-gw${plan.id}`,
    '-f',
    hostKey,
  ]);
  const auditLog = join(root, 'log', 'viworks-gw-audit.log');
  const configPath = join(root, 'gw.json');
  const gwConfig = {
    v: 1,
    facts: l.facts(plan),
    state_dir: join(root, 'state'),
    audit_log: auditLog,
    service_mode: 'direct',
    binaries: {
      fwknopd: '/usr/sbin/fwknopd',
      stunnel: '/usr/bin/stunnel',
      openvpn: '/usr/sbin/openvpn',
      iptables: '/usr/sbin/iptables',
      iptables_restore: '/usr/sbin/iptables-restore',
    },
  };
  writeFileSync(configPath, `${JSON.stringify(gwConfig, null, 2)}\n`, { mode: 0o644 });
  // sshd runs the dispatcher with an empty environment: absolute paths only.
  const command = `${process.execPath} ${repoPath('dist/gateway/bin/viworks-gw.js')} --config ${configPath}`;
  const authorizedKeys = join(ssh, 'authorized_keys');
  writeFileSync(authorizedKeys, `${renderAuthorizedKeysLine(controlKey, command)}\n`, { mode: 0o600 });
  const sshdConfig = join(ssh, 'sshd_config');
  writeFileSync(
    sshdConfig,
    renderSshdConfig(l.facts(plan), {
      listenAddress: plan.gateway.address,
      hostKeyPath: hostKey,
      authorizedKeysFile: authorizedKeys,
      pidFile: join(root, 'run', 'sshd.pid'),
      allowUser: 'root',
      // Not /root: this machine's root ~/.bashrc runs `pyenv init` (slow, and it takes a lock that a
      // killed lab left behind once, hanging every later control command).
      controlHome: join(root, 'run', 'control-home'),
    }),
    { mode: 0o600 },
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const log = join(plan.dirs.logs, 'gateway-sshd.log');
  const sshdPid = startDetached(plan.gateway.ns, ['/usr/sbin/sshd', '-D', '-e', '-f', sshdConfig], log);
  try {
    await waitForTcp(plan.backend.ns, plan.gateway.address, SSH_PORT, 15_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nsshd log:\n${tail(log)}`);
  }
  return { configPath, hostKeyFingerprint: await fingerprint(`${hostKey}.pub`), sshdPid, auditLog };
}

/** The node's own audit lines (JSON), for tests and `lab status`. */
export function gatewayAuditLines(plan: LabPlan): Record<string, unknown>[] {
  try {
    return readFileSync(join(plan.dirs.gateway, 'log', 'viworks-gw-audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** The gateway node's copies of session secrets (tests that look for them elsewhere read them here). */
export function gatewaySecretFiles(plan: LabPlan): {
  readonly tlsCryptKey: string;
  readonly accessConf: string;
} {
  const l = layout(plan.dirs.gateway);
  return { tlsCryptKey: l.facts(plan).paths.tlsCryptKey, accessConf: l.facts(plan).paths.accessConf };
}
