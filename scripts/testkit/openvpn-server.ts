// A real OpenVPN 2.6 server for the lab (scripts/testkit/netns.ts): certificates from the embedded
// PKI's own issuance code (a root, int-vpn, a 'vpn-server' certificate with the gateway's CN
// convention `ovpn-<name>`, per-session 'vpn-client' certificates), a tls-crypt key, and a server
// in the gateway namespace that reads its whole configuration — keys included — from standard
// input, as the client does: no key material is ever written to disk, even in tests.
//
// Topology (built by routeClientViaGateway): the server listens on an address that is NOT on the
// veth's /30 (10.214.x.1/32 on the gateway's veth), and the client reaches it through a default
// route via the gateway's veth address — the shape of a real client behind its LAN router, where
// redirect-gateway would capture the path to the gateway unless a bypass route exists.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { BootstrapPayload } from '../../core/bootstrap/payload.js';
import { createEndEntity, createIntermediate, createRoot, type Issuer } from '../../server/pki/issue.js';
import { generateEcKeyPair, privateKeyToPem } from '../../server/pki/keys.js';
import { days, type EndEntityProfile, PROFILES } from '../../server/pki/profiles.js';
import { IP, type NetnsEnd, type NetnsPair, NsProcess, runOk } from './netns.js';

export const OPENVPN = '/usr/sbin/openvpn';

export interface Credential {
  readonly certPem: string;
  readonly keyPem: string;
}

/** One CA hierarchy: a root and an int-vpn intermediate. */
export interface TestCa {
  readonly root: Issuer;
  readonly intVpn: Issuer;
  /** What OpenVPN peers verify with: int-vpn + root, as the gateway profile's vpnCaPem. */
  readonly caPem: string;
  /** Issues an end-entity certificate (default profile 'vpn-client') with this CN, in memory. */
  issue(commonName: string, profile?: EndEntityProfile, issuer?: Issuer): Promise<Credential>;
}

const pem = (cert: { toString(format: 'pem'): string }) => `${cert.toString('pem').trimEnd()}\n`;

export async function createTestCa(name = 'ViWorkS Lab'): Promise<TestCa> {
  const rootKeys = await generateEcKeyPair();
  const root: Issuer = { cert: await createRoot(`${name} Root`, rootKeys, 30), keys: rootKeys };
  const intKeys = await generateEcKeyPair();
  const intVpn: Issuer = {
    cert: await createIntermediate(root, `${name} int-vpn`, intKeys.publicKey, 30),
    keys: intKeys,
  };
  return {
    root,
    intVpn,
    caPem: `${pem(intVpn.cert)}${pem(root.cert)}`,
    async issue(commonName, profile = PROFILES['vpn-client'], issuer = intVpn) {
      const keys = await generateEcKeyPair();
      const cert = await createEndEntity(issuer, profile, { commonName }, keys.publicKey, days(1) / 2);
      return { certPem: pem(cert), keyPem: await privateKeyToPem(keys.privateKey) };
    },
  };
}

/** The bootstrap's `ovpn` object for one client, as the backend would seal it. */
export function ovpnPolicy(
  ca: TestCa,
  tlsCryptKey: string,
  client: Credential,
  policy: { redirectGateway?: boolean; dnsPush?: readonly string[] } = {},
): BootstrapPayload['ovpn'] {
  return {
    proto: 'tcp-client',
    cipher: 'AES-256-GCM',
    data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
    auth: 'SHA256',
    tls_crypt_key_inline: tlsCryptKey,
    ca_inline: ca.caPem,
    cert_inline: client.certPem,
    key_inline: client.keyPem,
    dns_push: [...(policy.dnsPush ?? [])],
    dns_search: [],
    redirect_gateway: policy.redirectGateway ?? true,
    block_outside_dns: true,
  };
}

export interface VpnServerOptions {
  readonly ca: TestCa;
  readonly tlsCryptKey: string;
  /** Third octet of the 10.99.x.0/24 pool; random by default. */
  readonly poolOctet?: number;
  /** Address to listen on (default: the lab's off-link server address, see routeClientViaGateway). */
  readonly listen: string;
  readonly port?: number;
  /** Pushed as in docs/architecture.md#openvpn-server-config. */
  readonly push?: readonly string[];
  /** Server-side `verify-x509-name <prefix> name-prefix` on client CNs (session ids: `s-`). */
  readonly clientCnPrefix?: string;
  /** PEM CRL(s) for `<crl-verify>` (one per CA in the chain). */
  readonly crlPem?: string;
  /** The server's certificate; default a 'vpn-server' one from int-vpn with CN `ovpn-lab`. */
  readonly serverCredential?: Credential;
}

export interface VpnServer {
  readonly process: NsProcess;
  readonly listen: string;
  readonly port: number;
  /** The server's own tunnel address (10.99.x.1). */
  readonly tunAddress: string;
  /** The pool as a prefix: "10.99.x." */
  readonly poolPrefix: string;
  stop(): Promise<void>;
}

export const DEFAULT_PUSH = ['redirect-gateway def1', 'block-outside-dns', 'dhcp-option DNS 10.0.0.53'];

/**
 * Gives the gateway namespace a second, off-link address (10.214.x.1/32 on its veth) and the client
 * namespace a default route via the gateway's veth address. Returns the off-link address.
 */
export async function routeClientViaGateway(lab: NetnsPair): Promise<string> {
  const serverAddress = lab.gw.address.replace(/^10\.213\.([0-9]+)\.1$/, '10.214.$1.1');
  await runOk([IP, '-n', lab.gw.ns, 'addr', 'add', `${serverAddress}/32`, 'dev', lab.gw.ifname]);
  await runOk([IP, '-n', lab.cl.ns, 'route', 'add', 'default', 'via', lab.gw.address]);
  return serverAddress;
}

export function serverConfig(o: VpnServerOptions, poolOctet: number, port: number, key: Credential): string {
  const push = o.push ?? DEFAULT_PUSH;
  return [
    'proto tcp-server',
    `local ${o.listen}`,
    `port ${port}`,
    'dev tun',
    'topology subnet',
    `server 10.99.${poolOctet}.0 255.255.255.0`,
    'dh none',
    'data-ciphers AES-256-GCM:AES-128-GCM',
    'auth SHA256',
    'remote-cert-tls client',
    ...(o.clientCnPrefix ? [`verify-x509-name ${o.clientCnPrefix} name-prefix`] : []),
    'keepalive 10 60',
    'script-security 0',
    ...push.map((p) => `push "${p}"`),
    'verb 3',
    `<ca>\n${o.ca.caPem}</ca>`,
    `<cert>\n${key.certPem}</cert>`,
    `<key>\n${key.keyPem}</key>`,
    `<tls-crypt>\n${o.tlsCryptKey}</tls-crypt>`,
    ...(o.crlPem ? [`<crl-verify>\n${o.crlPem}</crl-verify>`] : []),
    '',
  ].join('\n');
}

/** Starts the server in the gateway namespace and waits for "Initialization Sequence Completed". */
export async function startOpenVpnServer(lab: NetnsPair, o: VpnServerOptions): Promise<VpnServer> {
  const poolOctet = o.poolOctet ?? randomInt(1, 255);
  const port = o.port ?? 1194;
  const serverCred = o.serverCredential ?? (await o.ca.issue('ovpn-lab', PROFILES['vpn-server']));
  // Node's stdin pipe is a socketpair, which OpenVPN cannot open as /dev/stdin: bash makes a real
  // pipe (`cat` feeds it) and execs OpenVPN in place (the same trick as the daemon's runner).
  const feeder = 'exec "$0" --config /dev/stdin < <(exec "$1")';
  const argv = [
    'netns',
    'exec',
    lab.gw.ns,
    '/bin/bash',
    '--noprofile',
    '--norc',
    '-c',
    feeder,
    OPENVPN,
    '/usr/bin/cat',
  ];
  const child: ChildProcess = spawn(IP, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  child.stdin?.on('error', () => {});
  child.stdin?.end(serverConfig(o, poolOctet, port, serverCred));
  const proc = new NsProcess('openvpn-server', child);
  if (!(await proc.waitFor(/Initialization Sequence Completed/, 15_000))) {
    await proc.stop();
    throw new Error(`OpenVPN server did not start:\n${proc.output}`);
  }
  return {
    process: proc,
    listen: o.listen,
    port,
    tunAddress: `10.99.${poolOctet}.1`,
    poolPrefix: `10.99.${poolOctet}.`,
    stop: () => proc.stop(),
  };
}

// Tiny programs for the namespaces (`node -e SCRIPT arg...`: arguments start at argv[1]).
/** Answers every TCP connection with the peer's address: proof of which path a packet took. */
export const WHOAMI_JS = `const [,h,p]=process.argv;require('net').createServer(s=>{s.on('error',()=>{});
s.end(s.remoteAddress+'\\n')}).listen(+p,h,()=>console.log('listening'));`;
/** Connects and prints the first line received, or the error code / 'timeout'. */
export const ASK_JS = `const [,h,p,t]=process.argv;const s=require('net').connect({host:h,port:+p});
const done=r=>{console.log(r);s.destroy();process.exit(0)};setTimeout(()=>done('timeout'),+t);
s.on('data',b=>done(String(b).trim()));s.on('error',e=>done(e.code||'error'));`;
/** A loopback TCP forwarder standing in for the TLS proxy: 127.0.0.1:<lp> → host:port. */
export const FORWARD_JS = `const net=require('net');const [,lp,h,p]=process.argv;net.createServer(c=>{
const s=net.connect(+p,h);c.pipe(s).pipe(c);c.on('error',()=>s.destroy());s.on('error',()=>c.destroy())})
.listen(+lp,'127.0.0.1',()=>console.log('listening'));`;

/** Starts WHOAMI_JS in `on`, bound to host:port; resolves once listening. */
export async function startWhoami(
  lab: NetnsPair,
  on: NetnsEnd,
  host: string,
  port: number,
): Promise<NsProcess> {
  const p = lab.spawn(on, `whoami:${port}`, [process.execPath, '-e', WHOAMI_JS, host, String(port)]);
  if (!(await p.waitFor(/^listening$/m, 10_000))) throw new Error(`whoami failed: ${p.output}`);
  return p;
}

/** What a TCP connection from `from` to host:port is told its source address is. */
export async function askWhoami(lab: NetnsPair, from: NetnsEnd, host: string, port: number): Promise<string> {
  const r = await lab.exec(from, [process.execPath, '-e', ASK_JS, host, String(port), '3000'], {
    timeoutMs: 10_000,
  });
  return r.stdout.trim() || `failed: ${r.stderr.trim()}`;
}
