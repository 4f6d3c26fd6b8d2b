// Helpers for data-path.test.ts (not a test): one lab PKI (a single root behind both the gateway's
// TLS front door and its OpenVPN server, as the bootstrap's ovpn.ca_inline carries it), a stunnel
// front door inside the gateway namespace, and the daemon's real TLS proxy run inside the client
// namespace. Run directly (`node --import tsx data-path.helpers.ts`), this file IS that proxy child:
// it reads its parameters as one JSON line on stdin (never argv/env), prints JSON progress lines,
// and stops on stdin end or SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PinSet } from '../../../core/crypto/pins.js';
import { IP, type NetnsEnd, type NetnsPair, NsProcess, runOk } from '../../../scripts/testkit/netns.js';
import type { TestCa } from '../../../scripts/testkit/openvpn-server.js';
import {
  type ClientCertPolicy,
  clientCertLines,
  stunnelBinary,
  TLS13_SUITES,
} from '../../../scripts/testkit/stunnel.js';
import { loadOrCreatePki } from '../../../server/pki/embedded-pki.js';
import { loadGatewayMaterial } from '../../../server/pki/gateway-profile.js';
import { createEndEntity } from '../../../server/pki/issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from '../../../server/pki/keys.js';
import { days, PROFILES } from '../../../server/pki/profiles.js';
import type { TlsProxyStartParams } from '../../engine/types.js';
import { PinnedTlsProxyStarter } from '../tls-proxy-starter.js';

const pem = (c: { toString(format: 'pem'): string }) => `${c.toString('pem').trimEnd()}\n`;

export interface Identity {
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface LabPki {
  readonly fqdn: string;
  /** int-vpn + root: the bootstrap's ovpn.ca_inline, and what the proxy verifies the front door with. */
  readonly ca: TestCa;
  readonly pins: PinSet;
  /** The front door's tls-gateway certificate (int-tls, primary pinned key). */
  readonly frontDoor: Identity;
  /** Same CA and name, a key outside the pins. */
  readonly unpinned: Identity;
}

/** Mints everything from one embedded PKI in a temp dir, removed before returning. */
export async function createLabPki(fqdn = 'gw.lab.viworks.test'): Promise<LabPki> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-datapath-pki-'));
  try {
    const pki = await loadOrCreatePki(dir, { commonName: 'backend-api', dns: ['localhost'] });
    const material = await loadGatewayMaterial(pki, dir, fqdn);
    const root = pki.root;
    const intVpn = pki.intermediates['int-vpn'];
    const intTls = pki.intermediates['int-tls'];
    const ca: TestCa = {
      root,
      intVpn,
      caPem: material.vpnCaPem,
      async issue(commonName, profile = PROFILES['vpn-client'], issuer = intVpn) {
        const keys = await generateEcKeyPair();
        const cert = await createEndEntity(issuer, profile, { commonName }, keys.publicKey, days(1) / 2);
        return { certPem: pem(cert), keyPem: await privateKeyToPem(keys.privateKey) };
      },
    };
    const strangerPem = await privateKeyToPem((await generateEcKeyPair()).privateKey);
    const keys = await keyPairFromPem(strangerPem);
    const names = { commonName: 'tls-gateway', dns: [fqdn] };
    const cert = await createEndEntity(intTls, PROFILES['tls-gateway'], names, keys.publicKey, days(30));
    return {
      fqdn,
      ca,
      pins: material.pins,
      frontDoor: { chainPem: material.tlsGateway.chainPem, keyPem: material.tlsGateway.keyPem },
      unpinned: { chainPem: `${pem(cert)}${pem(intTls.cert)}`, keyPem: strangerPem },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * stunnel as the gateway's front door (TLS 1.3 only, the two suites, no renegotiation) inside
 * `end`'s namespace: accept on host:port, forward to the namespace's 127.0.0.1:backendPort. With
 * `requireClientCert`, it also demands a client certificate from that CA, as the gateway's
 * `verify = 2` does. Its files live in a 0600 temp dir only until stunnel has loaded them.
 */
export async function startFrontDoor(
  lab: NetnsPair,
  end: NetnsEnd,
  id: Identity,
  accept: { host: string; port: number; backendPort: number; requireClientCert?: ClientCertPolicy },
): Promise<NsProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-frontdoor-'));
  try {
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text, { mode: 0o600 });
      return join(dir, name);
    };
    const conf = file(
      'stunnel.conf',
      [
        'foreground = yes',
        'pid =',
        'syslog = no',
        'debug = info',
        '[viworks]',
        `accept = ${accept.host}:${accept.port}`,
        `connect = 127.0.0.1:${accept.backendPort}`,
        `cert = ${file('chain.pem', id.chainPem)}`,
        `key = ${file('key.pem', id.keyPem)}`,
        'sslVersionMin = TLSv1.3',
        `ciphersuites = ${TLS13_SUITES}`,
        'options = NO_RENEGOTIATION',
        ...clientCertLines(accept.requireClientCert, dir),
        '',
      ].join('\n'),
    );
    const p = lab.spawn(end, `stunnel:${accept.port}`, [stunnelBinary(), conf]);
    if (!(await p.waitFor(/Accepting new connections/, 10_000))) {
      await p.stop();
      throw new Error(`stunnel did not start: ${p.output.slice(-2000)}`);
    }
    return p;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An address that stands for the backend: a second off-link address (10.215.x.1/32) on the
 * gateway's veth, reached from the client over its default route — like the gateway's own
 * 10.214.x.1, so without a bypass route def1 would carry it into the tunnel (where the OpenVPN
 * server's namespace, owning it too, would answer from inside: the source address tells apart).
 */
export async function addBackendAddress(lab: NetnsPair): Promise<string> {
  const address = lab.gw.address.replace(/^10\.213\.([0-9]+)\.1$/, '10.215.$1.1');
  await runOk([IP, '-n', lab.gw.ns, 'addr', 'add', `${address}/32`, 'dev', lab.gw.ifname]);
  return address;
}

/** What the proxy child needs (sent as one JSON line on its stdin: the key as text, made bytes there). */
export type ProxyChildParams = Omit<TlsProxyStartParams, 'signal' | 'clientKeyPem'> & {
  readonly clientKeyPem: string;
};

export type ProxyChildEvent =
  | { readonly event: 'listening'; readonly port: number }
  | { readonly event: 'established'; readonly handshakeMs: number | null }
  | { readonly event: 'done'; readonly code: string | null; readonly detail: string };

export const PROXY_CHILD = fileURLToPath(import.meta.url);

/** The proxy child, running in `end`'s namespace; its events are parsed from its stdout. */
export class ProxyChild {
  readonly proc: NsProcess;

  constructor(end: NetnsEnd, params: ProxyChildParams) {
    const argv = ['netns', 'exec', end.ns, process.execPath, '--import', 'tsx', PROXY_CHILD];
    const child = spawn(IP, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {});
    child.stdin.write(`${JSON.stringify(params)}\n`);
    this.proc = new NsProcess('tls-proxy', child);
  }

  events(): ProxyChildEvent[] {
    return this.proc.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ProxyChildEvent);
  }

  /** The first event of this kind, waiting up to `timeoutMs`; throws with the output if none. */
  async event<K extends ProxyChildEvent['event']>(
    kind: K,
    timeoutMs = 15_000,
  ): Promise<Extract<ProxyChildEvent, { event: K }>> {
    await this.proc.waitFor(new RegExp(`"event":"${kind}"`), timeoutMs);
    const e = this.events().find((x) => x.event === kind);
    if (!e) throw new Error(`proxy child: no ${kind} event:\n${this.proc.output.slice(-2000)}`);
    return e as Extract<ProxyChildEvent, { event: K }>;
  }

  /** Closes its stdin (the child stops the proxy and exits), then makes sure it is gone. */
  async stop(): Promise<void> {
    this.proc.child.stdin?.end();
    await this.proc.waitFor(/"event":"done"/, 5000);
    await this.proc.stop();
  }
}

async function proxyChild(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const first = await new Promise<string>((resolve) => lines.once('line', resolve));
  const params = JSON.parse(first) as ProxyChildParams;
  const say = (e: ProxyChildEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);
  const ac = new AbortController();
  let established = () => {};
  const handle = await new PinnedTlsProxyStarter({
    connectTimeoutMs: 5000,
    onLog: (l) => (l.startsWith('tls proxy established') ? established() : undefined),
  }).start({ ...params, clientKeyPem: Buffer.from(params.clientKeyPem), signal: ac.signal });
  established = () => say({ event: 'established', handshakeMs: handle.handshakeMs });
  say({ event: 'listening', port: handle.listenPort });
  const stop = () => void handle.stop();
  lines.once('close', stop);
  process.once('SIGTERM', stop);
  const info = await handle.done;
  say({ event: 'done', code: info.code, detail: info.detail });
  process.exit(0);
}

if (process.argv[1] === PROXY_CHILD) await proxyChild();
