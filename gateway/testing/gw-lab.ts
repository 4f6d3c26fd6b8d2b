// Test helpers for running viworks-gw the way sshd would (SSH_ORIGINAL_COMMAND in its environment,
// the document on stdin), here inside a lab namespace, and for building an apply_config bundle from
// a throwaway PKI.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ApplyConfigInput, GatewayReply, GatewaySettings } from '../../core/gateway/control.js';
import type { ExecResult, NetnsEnd, NetnsPair } from '../../scripts/testkit/netns.js';
import { createTestCa, type TestCa } from '../../scripts/testkit/openvpn-server.js';
import { createGatewayTlsFixture } from '../../scripts/testkit/stunnel.js';
import { buildCrl } from '../../server/pki/crl.js';
import { PROFILES } from '../../server/pki/profiles.js';
import { generateTlsCryptKey } from '../../server/pki/tls-crypt.js';

export const GW_BIN = fileURLToPath(new URL('../bin/viworks-gw.ts', import.meta.url));

export interface GwCall {
  readonly reply: GatewayReply;
  readonly exit: number | null;
  readonly raw: ExecResult;
}

/** Runs viworks-gw in `end`'s namespace with a clean environment, as sshd's ForceCommand would. */
export async function callGw(
  lab: NetnsPair,
  end: NetnsEnd,
  configPath: string,
  command: string,
  stdin?: unknown,
): Promise<GwCall> {
  const argv = [
    '/usr/bin/env',
    '-i',
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    `SSH_ORIGINAL_COMMAND=${command}`,
    'SSH_CLIENT=10.0.0.1 40000 2222',
    process.execPath,
    '--import',
    'tsx',
    GW_BIN,
    '--config',
    configPath,
  ];
  const raw = await lab.exec(end, argv, {
    input: stdin === undefined ? '' : JSON.stringify(stdin),
    timeoutMs: 90_000,
  });
  const last = raw.stdout.trim().split('\n').at(-1) ?? '';
  let reply: GatewayReply;
  try {
    reply = JSON.parse(last) as GatewayReply;
  } catch {
    throw new Error(`viworks-gw ${command}: no reply (exit ${raw.code}): ${raw.stderr.slice(-2000)}`);
  }
  return { reply, exit: raw.code, raw };
}

export interface ApplyBundle {
  readonly input: ApplyConfigInput;
  readonly ca: TestCa;
  readonly tlsCryptKey: string;
}

export async function applyBundle(settings: GatewaySettings): Promise<ApplyBundle> {
  const ca = await createTestCa('ViWorkS GW Lab');
  const tls = await createGatewayTlsFixture(settings.fqdn);
  const server = await ca.issue('ovpn-gw-lab', PROFILES['vpn-server']);
  const tlsCryptKey = generateTlsCryptKey();
  const now = new Date();
  const material = {
    tls_cert_pem: tls.primary.chainPem,
    tls_key_pem: tls.primary.keyPem,
    client_ca_pem: ca.caPem,
    openvpn_cert_pem: server.certPem,
    openvpn_key_pem: server.keyPem,
    tls_crypt_key: tlsCryptKey,
    crl_pem: [await buildCrl(ca.intVpn, [], 1n, now), await buildCrl(ca.root, [], 1n, now)],
  };
  const config_id = createHash('sha256').update(JSON.stringify({ settings, material })).digest('hex');
  return { input: { config_id, settings, material }, ca, tlsCryptKey };
}
