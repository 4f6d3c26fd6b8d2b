// A throwaway stunnel (Debian's stunnel4, 5.68) on loopback for tests and benchmarks, configured like
// the gateway's front door (docs/architecture.md#stunnel-front-door): TLS 1.3 only, the two allowed
// suites, no renegotiation. It runs in the foreground from a temp dir (config, certificate and key 0600), is
// stopped by its own PID and its dir is removed. Variants: a TLS-1.2-only server (to prove clients
// refuse it), a server that requires a client certificate from a given CA (+ CRL), as the gateway's
// `verify = 2` does, and client mode (the stunnel baseline the daemon's proxy is benchmarked against).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PinSet } from '../../core/crypto/pins.js';
import { buildCrl } from '../../server/pki/crl.js';
import { loadOrCreatePki } from '../../server/pki/embedded-pki.js';
import { gatewayDir, loadGatewayMaterial } from '../../server/pki/gateway-profile.js';
import { createEndEntity, type Issuer } from '../../server/pki/issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from '../../server/pki/keys.js';
import { days, PROFILES } from '../../server/pki/profiles.js';
import { NsProcess } from './netns.js';
import { executable } from './peers.js';
import { freePort } from './ports.js';

export const STUNNEL_BINARIES = ['/usr/bin/stunnel4', '/usr/bin/stunnel'] as const;
export const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const TLS12_CIPHERS = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305';

export type StunnelOptions =
  | {
      readonly mode: 'server';
      /** Leaf first, then intermediates, as the gateway serves it. */
      readonly chainPem: string;
      readonly keyPem: string;
      /** Where decrypted connections go (an echo server, iperf3 -s...). */
      readonly backendPort: number;
      /** Default 'tls1.3' (the gateway's setting); 'tls1.2-only' offers TLS 1.2 and nothing newer. */
      readonly tls?: 'tls1.3' | 'tls1.2-only';
      /** Require a client certificate (the gateway's `verify = 2`). */
      readonly requireClientCert?: ClientCertPolicy;
    }
  | {
      readonly mode: 'client';
      /** A TLS server on loopback (e.g. a stunnel server). */
      readonly serverPort: number;
      /** Trust anchors for the server's chain. */
      readonly caPem: string;
      /** Sent as SNI and checked against the certificate (checkHost). */
      readonly serverName: string;
    };

/** The gateway's client-certificate check: verifyChain + requireCert against `caPem`, optional CRLs. */
export interface ClientCertPolicy {
  /** Trust anchors for client chains (the gateway uses int-vpn + root). */
  readonly caPem: string;
  /** PEM CRL(s), one per CA in the chain (stunnel checks every level once a CRL file is set). */
  readonly crlPem?: string;
}

/** stunnel lines for the gateway's client-certificate check; the PEM files go into `dir`. */
export function clientCertLines(policy: ClientCertPolicy | undefined, dir: string): string[] {
  if (!policy) return [];
  writeFileSync(join(dir, 'client-ca.pem'), policy.caPem, { mode: 0o600 });
  const lines = ['verifyChain = yes', 'requireCert = yes', `CAfile = ${join(dir, 'client-ca.pem')}`];
  if (policy.crlPem) {
    writeFileSync(join(dir, 'client-crl.pem'), policy.crlPem, { mode: 0o600 });
    lines.push(`CRLfile = ${join(dir, 'client-crl.pem')}`);
  }
  return lines;
}

export interface TestStunnel {
  /** Loopback port stunnel accepts on. */
  readonly port: number;
  readonly pid: number | undefined;
  /** stunnel's log so far (debug = info). */
  readonly output: string;
  stop(): Promise<void>;
}

export function stunnelBinary(): string {
  const bin = STUNNEL_BINARIES.find(executable);
  if (!bin) throw new Error('stunnel not found (apt-get install stunnel4)');
  return bin;
}

function serviceLines(opts: StunnelOptions, dir: string, port: number): string[] {
  const tls13 = ['sslVersionMin = TLSv1.3', `ciphersuites = ${TLS13_SUITES}`, 'options = NO_RENEGOTIATION'];
  if (opts.mode === 'client') {
    writeFileSync(join(dir, 'ca.pem'), opts.caPem, { mode: 0o600 });
    return [
      'client = yes',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${opts.serverPort}`,
      `sni = ${opts.serverName}`,
      `checkHost = ${opts.serverName}`,
      'verifyChain = yes',
      `CAfile = ${join(dir, 'ca.pem')}`,
      ...tls13,
    ];
  }
  writeFileSync(join(dir, 'chain.pem'), opts.chainPem, { mode: 0o600 });
  writeFileSync(join(dir, 'key.pem'), opts.keyPem, { mode: 0o600 });
  return [
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${opts.backendPort}`,
    `cert = ${join(dir, 'chain.pem')}`,
    `key = ${join(dir, 'key.pem')}`,
    ...(opts.tls === 'tls1.2-only'
      ? ['sslVersionMin = TLSv1.2', 'sslVersionMax = TLSv1.2', `ciphers = ${TLS12_CIPHERS}`]
      : tls13),
    ...clientCertLines(opts.requireClientCert, dir),
  ];
}

/** Starts stunnel and resolves once it accepts connections; retries when the free port was taken meanwhile. */
export async function startStunnel(opts: StunnelOptions): Promise<TestStunnel> {
  const bin = stunnelBinary();
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'viw-stunnel-'));
    const port = await freePort();
    const conf = join(dir, 'stunnel.conf');
    writeFileSync(
      conf,
      [
        'foreground = yes',
        'pid =', // no pid file: we hold the PID
        'syslog = no',
        'debug = info', // "Accepting new connections" marks readiness
        '[viworks]',
        ...serviceLines(opts, dir, port),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const proc = new NsProcess('stunnel', spawn(bin, [conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const cleanup = async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    if (await proc.waitFor(/Accepting new connections/, 10_000)) {
      return {
        port,
        get pid() {
          return proc.pid;
        },
        get output() {
          return proc.output;
        },
        stop: cleanup,
      };
    }
    await cleanup();
    if (attempt >= 3 || !/Address already in use/.test(proc.output)) {
      throw new Error(`stunnel did not start: ${proc.output.slice(-2000)}`);
    }
  }
}

/** One server identity for stunnel: chain (leaf + intermediate) and key, both PEM. */
export interface GatewayIdentity {
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface GatewayTlsFixture {
  readonly fqdn: string;
  /** What the bootstrap carries (`ovpn.ca_inline`: int-vpn + root) and the proxy verifies with. */
  readonly caPem: string;
  readonly pins: PinSet;
  /** tls-gateway certificate on the primary key (what a gateway serves normally). */
  readonly primary: GatewayIdentity;
  /** A certificate on the backup key (what a gateway serves after a pin roll). */
  readonly backup: GatewayIdentity;
  /** Same CA, same name, a key that is neither pin. */
  readonly otherKey: GatewayIdentity;
  /** Another CA's certificate on the PRIMARY key: the pin matches, the chain must not. */
  readonly otherCa: GatewayIdentity;
  /** The session client certificates a gateway with `verify = 2` sees (vpn-client profile). */
  readonly clients: ClientFixture;
}

/** A client certificate (leaf PEM) and its key, as the bootstrap's ovpn.cert_inline / key_inline. */
export interface ClientIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClientFixture {
  /** What the gateway trusts for clients: int-vpn + root (the gateway profile's vpnCaPem). */
  readonly caPem: string;
  /** CRLs of int-vpn (listing `revoked`) and of the root (empty), for stunnel's CRLfile. */
  readonly crlPem: string;
  /** A valid session certificate from int-vpn. */
  readonly session: ClientIdentity;
  /** From int-vpn, listed in crlPem. */
  readonly revoked: ClientIdentity;
  /** From ANOTHER PKI's int-vpn: the gateway must refuse it. */
  readonly otherCa: ClientIdentity;
}

async function issueClient(
  issuer: Issuer,
  commonName: string,
): Promise<{ id: ClientIdentity; serial: string }> {
  const keys = await generateEcKeyPair();
  const cert = await createEndEntity(
    issuer,
    PROFILES['vpn-client'],
    { commonName },
    keys.publicKey,
    days(1) / 2,
  );
  return {
    id: { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await privateKeyToPem(keys.privateKey) },
    serial: cert.serialNumber.toLowerCase(),
  };
}

/**
 * Mints gateway TLS material with the embedded PKI in temp data dirs (removed before returning): a
 * CA, the tls-gateway credential (primary + backup keys, as the backend pins them), and the impostors
 * that tests need.
 */
export async function createGatewayTlsFixture(fqdn = 'gw.lab.viworks.test'): Promise<GatewayTlsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-gwtls-'));
  const otherDir = mkdtempSync(join(tmpdir(), 'viw-gwtls-other-'));
  try {
    const pki = await loadOrCreatePki(dir, { commonName: 'backend-api', dns: ['localhost'] });
    const material = await loadGatewayMaterial(pki, dir, fqdn);
    const intTls = pki.intermediates['int-tls'];
    const names = { commonName: 'tls-gateway', dns: [fqdn] };
    const issue = async (issuer: Issuer, keyPem: string): Promise<GatewayIdentity> => {
      const keys = await keyPairFromPem(keyPem);
      const cert = await createEndEntity(issuer, PROFILES['tls-gateway'], names, keys.publicKey, days(30));
      const chainPem = `${cert.toString('pem').trimEnd()}\n${issuer.cert.toString('pem').trimEnd()}\n`;
      return { chainPem, keyPem };
    };
    const backupKeyPem = readFileSync(join(gatewayDir(dir), 'tls-gateway.backup.key'), 'utf8');
    const strangerKeyPem = await privateKeyToPem((await generateEcKeyPair()).privateKey);
    const otherPki = await loadOrCreatePki(otherDir, { commonName: 'backend-api', dns: ['localhost'] });
    const intVpn = pki.intermediates['int-vpn'];
    const session = await issueClient(intVpn, 's-fixture-session');
    const revoked = await issueClient(intVpn, 's-fixture-revoked');
    const now = new Date(Date.now() - 60_000);
    const crlPem =
      (await buildCrl(
        intVpn,
        [{ serial: revoked.serial, revokedAt: now, reason: 'keyCompromise' }],
        1n,
        now,
      )) + (await buildCrl(pki.root, [], 1n, now));
    return {
      fqdn,
      caPem: material.vpnCaPem,
      pins: material.pins,
      primary: { chainPem: material.tlsGateway.chainPem, keyPem: material.tlsGateway.keyPem },
      backup: await issue(intTls, backupKeyPem),
      otherKey: await issue(intTls, strangerKeyPem),
      otherCa: await issue(otherPki.intermediates['int-tls'], material.tlsGateway.keyPem),
      clients: {
        caPem: material.vpnCaPem,
        crlPem,
        session: session.id,
        revoked: revoked.id,
        otherCa: (await issueClient(otherPki.intermediates['int-vpn'], 's-fixture-stranger')).id,
      },
    };
  } finally {
    // The PKI's files were only needed to mint; callers get PEM strings, nothing stays on disk.
    rmSync(dir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  }
}
