// The baseline tunnel for the throughput comparison: the same path as the daemon's — SPA knock →
// TLS 1.3 with a client certificate to the gateway's stunnel :443 → OpenVPN — with stunnel in client
// mode where the daemon has its embedded pinned proxy, and an OpenVPN the bench starts itself with
// the daemon's own config renderer and runner (config on stdin). The material is what the gateway
// accepts from a session:
//   - a vpn-client certificate from the lab backend's int-vpn CA, CN `s-` + 32 hex;
//   - a client-config-dir entry for that CN (the gateway's OpenVPN runs with ccd-exclusive), made
//     by `vpn_user_create` over SSH from the backend namespace with the backend's control key;
//   - the gateway's tls-crypt key and the vpn CA bundle (int-vpn + root);
//   - a knock with the enrolled device's SPA keys (the gateway's spa-keys.json), from the client's
//     address, before the TLS connection.
// Files live under the lab's directory (removed by labDown); every process is stopped by its PID.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BootstrapPayload } from '../../core/bootstrap/payload.js';
import { splitOvpn } from '../../core/bootstrap/testing/split.js';
import { encodeSpa } from '../../core/spa/index.js';
import {
  type OvpnPolicy,
  type OvpnSecrets,
  renderClientConfig,
} from '../../daemon/datapath/openvpn/config.js';
import { type OpenVpnProcess, startOpenVpn } from '../../daemon/datapath/openvpn/runner.js';
import { inHost } from '../../scripts/lab/e2e/helpers.js';
import type { LabPlan } from '../../scripts/lab/plan.js';
import { IP, NsProcess } from '../../scripts/testkit/netns.js';
import { stunnelBinary, TLS13_SUITES } from '../../scripts/testkit/stunnel.js';
import { createEndEntity, type Issuer } from '../../server/pki/issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from '../../server/pki/keys.js';
import { PROFILES } from '../../server/pki/profiles.js';
import { x509 } from '../../server/pki/x509.js';

const GATEWAY_TLS_PORT = 443;
const SPA_PORT = 62201;
/** The loopback port of the bench's stunnel client inside the client namespace (its own netns). */
const STUNNEL_CLIENT_PORT = 21194;
const CERT_LIFETIME_MS = 3_600_000;
const SPA_TTL_S = 20;

export interface StunnelTunnel {
  /** stunnel's PID (for its CPU time). */
  readonly stunnelPid: number | undefined;
  /** OpenVPN spawn → "Initialization Sequence Completed" (TLS to the gateway included). */
  readonly readyMs: number;
  stop(): Promise<void>;
}

const pkiDir = (plan: LabPlan) => join(plan.dirs.backend, 'data', 'pki');

/** A viworks-gw verb over SSH from the backend namespace, as the backend's control plane sends it. */
async function gatewayVerb(plan: LabPlan, work: string, command: string, input?: string): Promise<void> {
  const hostPub = readFileSync(join(plan.dirs.gateway, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `[${plan.gateway.address}]:2222 ${hostPub}\n`);
  const key = join(pkiDir(plan), 'gateway-control', 'control_ed25519');
  const argv = ['/usr/bin/ssh', '-i', key, '-p', '2222', '-o', 'BatchMode=yes'];
  argv.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`);
  argv.push(`root@${plan.gateway.address}`, command);
  const r = await inHost(plan, 'backend', argv, { input: input ?? '', timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`gateway ${command}: exit ${r.code}: ${(r.stdout + r.stderr).trim()}`);
}

/** A per-session-style client certificate from the backend's int-vpn CA. */
async function sessionCertificate(plan: LabPlan, cn: string): Promise<{ certPem: string; keyPem: string }> {
  const pki = pkiDir(plan);
  const issuer: Issuer = {
    cert: new x509.X509Certificate(readFileSync(join(pki, 'int-vpn.crt'), 'utf8')),
    keys: await keyPairFromPem(readFileSync(join(pki, 'int-vpn.key'), 'utf8')),
  };
  const keys = await generateEcKeyPair();
  const cert = await createEndEntity(
    issuer,
    PROFILES['vpn-client'],
    { commonName: cn },
    keys.publicKey,
    CERT_LIFETIME_MS,
  );
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await privateKeyToPem(keys.privateKey) };
}

const pemText = (file: string) => `${readFileSync(file, 'utf8').trimEnd()}\n`;

/** The renderer's two arguments: the public policy and the secrets as Buffers (core/bootstrap/opened.ts). */
function splitPolicy(full: BootstrapPayload['ovpn']): [OvpnPolicy, OvpnSecrets] {
  const { ovpn, secrets } = splitOvpn(full);
  return [ovpn, secrets];
}

function ovpnPolicy(plan: LabPlan, client: { certPem: string; keyPem: string }): BootstrapPayload['ovpn'] {
  const pki = pkiDir(plan);
  return {
    proto: 'tcp-client',
    cipher: 'AES-256-GCM',
    data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
    auth: 'SHA256',
    tls_crypt_key_inline: readFileSync(join(pki, 'gateways', 'default', 'tls-crypt.key'), 'utf8'),
    ca_inline: pemText(join(pki, 'int-vpn.crt')) + pemText(join(pki, 'root.crt')),
    cert_inline: client.certPem,
    key_inline: client.keyPem,
    dns_push: [],
    dns_search: [],
    // The internal network comes as the gateway's pushed route either way; no default route needed.
    redirect_gateway: false,
    block_outside_dns: false,
  };
}

async function startStunnelClient(plan: LabPlan, work: string, client: { certPem: string; keyPem: string }) {
  const bin = stunnelBinary();
  writeFileSync(join(work, 'client.pem'), client.certPem, { mode: 0o600 });
  writeFileSync(join(work, 'client.key'), client.keyPem, { mode: 0o600 });
  const conf = join(work, 'stunnel-client.conf');
  const lines = [
    'foreground = yes',
    'pid =',
    'syslog = no',
    'debug = info', // "Accepting new connections" marks readiness
    '[viworks-bench]',
    'client = yes',
    `accept = 127.0.0.1:${STUNNEL_CLIENT_PORT}`,
    `connect = ${plan.gateway.address}:${GATEWAY_TLS_PORT}`,
    `sni = ${plan.gatewayFqdn}`,
    `checkHost = ${plan.gatewayFqdn}`,
    'verifyChain = yes',
    `CAfile = ${join(pkiDir(plan), 'root.crt')}`,
    `cert = ${join(work, 'client.pem')}`,
    `key = ${join(work, 'client.key')}`,
    'sslVersionMin = TLSv1.3',
    `ciphersuites = ${TLS13_SUITES}`,
    'options = NO_RENEGOTIATION',
    '',
  ];
  writeFileSync(conf, lines.join('\n'), { mode: 0o600 });
  const proc = new NsProcess(
    'stunnel client',
    spawn(IP, ['netns', 'exec', plan.client.ns, bin, conf], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  if (!(await proc.waitFor(/Accepting new connections/, 10_000))) {
    await proc.stop();
    throw new Error(`stunnel client did not start: ${proc.output.slice(-1500)}`);
  }
  return proc;
}

const UDP_SEND_JS = `
const s = require('node:dgram').createSocket('udp4');
s.send(Buffer.from(process.argv[3], 'base64'), Number(process.argv[2]), process.argv[1], (e) => {
  s.close(); if (e) { console.error(e.message); process.exitCode = 1; }
});`;

/** One fresh knock with the enrolled device's keys, from the client; resolves once 443 is open for it. */
async function knock(plan: LabPlan): Promise<void> {
  const store = JSON.parse(readFileSync(join(plan.dirs.gateway, 'state', 'spa-keys.json'), 'utf8')) as {
    devices: Record<string, { key_base64: string; hmac_key_base64: string }>;
  };
  const [username, keys] = Object.entries(store.devices)[0] ?? [];
  if (!username || !keys) throw new Error('the gateway holds no device SPA keys (enroll first)');
  const rule = new RegExp(
    `-s ${plan.client.address.replaceAll('.', '\\.')}/32 .*--dport ${GATEWAY_TLS_PORT}`,
  );
  for (let attempt = 1; attempt <= 3; attempt++) {
    const encKey = Buffer.from(keys.key_base64, 'base64');
    const hmacKey = Buffer.from(keys.hmac_key_base64, 'base64');
    const packet = encodeSpa({
      encKey,
      hmacKey,
      username,
      accessIp: plan.client.address,
      accessPorts: [{ proto: 'tcp', port: GATEWAY_TLS_PORT }],
      clientTimeout: SPA_TTL_S,
    });
    encKey.fill(0);
    hmacKey.fill(0);
    const argv = [process.execPath, '-e', UDP_SEND_JS, plan.gateway.address, String(SPA_PORT)];
    const sent = await inHost(plan, 'client', [...argv, Buffer.from(packet, 'ascii').toString('base64')]);
    if (sent.code !== 0) throw new Error(`SPA send: ${sent.stderr.trim()}`);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const rules = await inHost(plan, 'gateway', ['/usr/sbin/iptables', '-S']);
      if (rule.test(rules.stdout)) return;
      await sleep(50);
    }
  }
  throw new Error('the gateway did not open 443 after 3 knocks');
}

/**
 * Brings the baseline tunnel up in the client namespace (the daemon's tunnel must be down: one tunnel
 * at a time). stop() ends OpenVPN and stunnel and removes the CCD entry.
 */
export async function startStunnelTunnel(plan: LabPlan): Promise<StunnelTunnel> {
  const work = join(plan.dir, 'bench-stunnel');
  mkdirSync(work, { recursive: true, mode: 0o700 });
  const cn = `s-${randomBytes(16).toString('hex')}`;
  const client = await sessionCertificate(plan, cn);
  const expires = Math.floor((Date.now() + CERT_LIFETIME_MS) / 1000);
  await gatewayVerb(
    plan,
    work,
    `vpn_user_create ${cn}`,
    JSON.stringify({ push_routes: [], expires_at: expires }),
  );
  const cleanup: Array<() => Promise<void>> = [
    () => gatewayVerb(plan, work, `vpn_user_delete ${cn}`).catch(() => undefined),
  ];
  const stopAll = async () => {
    for (const c of cleanup.reverse()) await c();
  };
  try {
    const stunnel = await startStunnelClient(plan, work, client);
    cleanup.push(() => stunnel.stop());
    await knock(plan);
    const log: string[] = [];
    const ovpn: OpenVpnProcess = await startOpenVpn({
      configText: renderClientConfig(...splitPolicy(ovpnPolicy(plan, client)), {
        remoteHost: '127.0.0.1',
        remotePort: STUNNEL_CLIENT_PORT,
      }),
      netns: plan.client.ns,
      readyTimeoutMs: 30_000,
      onLog: (line) => void log.push(line),
    });
    cleanup.push(() => ovpn.stop());
    const ready = await ovpn.ready.catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(
        `baseline OpenVPN: ${why}\n${log.slice(-15).join('\n')}\nstunnel:\n${stunnel.output.slice(-1200)}`,
      );
    });
    return { stunnelPid: stunnel.pid, readyMs: ready.readyMs, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
