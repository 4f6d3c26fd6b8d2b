// What apply_config sends a node: its typed settings (row + profile ports) and the PKI material the
// backend holds for it, with a config_id that names exactly that content (sha256 of the canonical
// JSON), so health can show whether the node still runs what was applied. Private keys pass through
// here as PEM strings on their way to the SSH channel's stdin; they are never stored or logged.
//
// With `siem.syslog` configured, the node ships its own logs to that same receiver (settings.siem +
// material.siem): the receiver's CA bundle comes from siem.syslog.caFile, and the node gets a client
// certificate of its own — issued here from int-tls (EKU clientAuth, dNSName = the gateway's FQDN),
// its key kept under <dataDir>/pki/gateways/<name>/ beside the node's other keys. Never the backend's
// own SIEM key: each node's credential can be refused or left to expire alone.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GatewayRowSettings, type GatewayRowSettingsT } from '../../../core/api/admin-gateways.js';
import { canonicalJson } from '../../../core/audit/chain.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  type ApplyConfigInput,
  applyConfigInput,
  type GatewayMaterialInput,
  type GatewaySettings,
  type GatewaySiemMaterial,
  GatewaySiemSettings,
} from '../../../core/gateway/control.js';
import { strictValidator } from '../../../core/schema/strict.js';
import type { ServerConfig } from '../../config.js';
import type { Gateway } from '../../data/client.js';
import { loadServerCredential } from '../../pki/credentials.js';
import type { CrlPublisher } from '../../pki/crl.js';
import type { EmbeddedPki } from '../../pki/embedded-pki.js';
import {
  DEFAULT_GATEWAY_NAME,
  GATEWAY_SPA_PORT,
  GATEWAY_TLS_PORT,
  type GatewayMaterial,
  gatewayDir,
  loadGatewayMaterial,
} from '../../pki/gateway-profile.js';
import type { EndEntityProfile } from '../../pki/profiles.js';
import { x509 } from '../../pki/x509.js';

const rowSettings = strictValidator(GatewayRowSettings);

/** The row's stored settings; null when the gateway was never registered (`{}`) or they are unusable. */
export function storedSettings(row: Pick<Gateway, 'settings'>): GatewayRowSettingsT | null {
  try {
    const value: unknown = JSON.parse(row.settings);
    return rowSettings.check(value) ? (value as GatewayRowSettingsT) : null;
  } catch {
    return null;
  }
}

export function nodeSettings(row: Pick<Gateway, 'settings' | 'fqdn' | 'name'>): GatewaySettings {
  const stored = storedSettings(row);
  if (!stored) {
    throw new ViworksError('VIW_E_GATEWAY_NOT_READY', {
      details: [`${row.name}: no settings registered (viworks admin gateways add)`],
    });
  }
  return { fqdn: row.fqdn, tls_port: GATEWAY_TLS_PORT, spa_port: GATEWAY_SPA_PORT, ...stored };
}

export interface MaterialSources {
  readonly pki: EmbeddedPki;
  readonly dataDir: string;
  readonly crl: CrlPublisher;
  /** The backend's `default` gateway (ctx.gateway). */
  readonly defaultGateway: GatewayMaterial;
  /** The backend's `siem` configuration (ctx.config.siem); absent, or syslog null: nodes ship nothing. */
  readonly siem?: Pick<ServerConfig['siem'], 'syslog' | 'spoolMaxBytes'>;
}

/**
 * The material of a gateway whose keys the backend holds: `default` is the profile loaded at start;
 * any other name gets (or reuses) its own under <dataDir>/pki/gateways/<name>/.
 */
async function materialOf(src: MaterialSources, row: Pick<Gateway, 'name' | 'fqdn'>) {
  if (row.name === DEFAULT_GATEWAY_NAME) return src.defaultGateway;
  return loadGatewayMaterial(src.pki, src.dataDir, row.fqdn, row.name);
}

/** The current int-vpn CRL (client certificates are int-vpn's), for apply_config and crl_update. */
export async function currentVpnCrl(crl: CrlPublisher): Promise<string> {
  return crl.pem('int-vpn') ?? (await crl.publish('int-vpn'));
}

export function configIdOf(settings: GatewaySettings, material: GatewayMaterialInput): string {
  return createHash('sha256').update(canonicalJson({ settings, material }), 'utf8').digest('hex');
}

/**
 * A gateway node's client certificate for the SIEM (proposed as PROFILES['siem-client']): issued by
 * int-tls like the node's front-door certificate, usable only by a TLS client.
 */
export const SIEM_CLIENT_PROFILE: EndEntityProfile = {
  issuer: 'int-tls',
  maxDays: 180,
  keyUsages: x509.KeyUsageFlags.digitalSignature,
  extendedKeyUsages: [x509.ExtendedKeyUsage.clientAuth],
};
/** File stem (and CN) of that credential in the gateway's PKI dir. */
export const SIEM_CLIENT_BASE = 'siem-client';
/** The contract's bounds on the node's disk queue (GatewaySiemSettings.queue_max_bytes). */
const NODE_QUEUE_BYTES = { min: 1024 * 1024, max: 64 * 1024 ** 3 } as const;
const MAX_CA_FILE_BYTES = 64 * 1024;
const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;

const siemSettings = strictValidator(GatewaySiemSettings);
const siemConfigError = (detail: string, cause?: unknown) =>
  new ViworksError('VIW_E_CONFIG', { details: [`siem.syslog.${detail}`], ...(cause ? { cause } : {}) });

function readSmallFile(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw siemConfigError(`caFile: larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The certificates of the CA file, LF-ended PEM blocks only: the node accepts nothing else, and
 * bundles often carry comments or CRLF.
 */
export function readSiemCaBundle(path: string): string {
  let text: string;
  try {
    text = readSmallFile(path, MAX_CA_FILE_BYTES);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw siemConfigError('caFile: cannot be read', err);
  }
  const blocks = (text.match(PEM_CERT_RE) ?? []).map((b) => `${b.replace(/\r\n/g, '\n')}\n`);
  if (blocks.length === 0) throw siemConfigError('caFile: holds no PEM certificate');
  return blocks.join('');
}

export interface NodeSiemSection {
  readonly settings: GatewaySiemSettings;
  readonly material: GatewaySiemMaterial;
}

/**
 * What one gateway gets to ship its logs to the backend's syslog receiver, or null when the backend
 * ships to none. The node's disk queue may hold as much as the backend's own spool of one path.
 */
export async function siemSectionFor(
  src: Pick<MaterialSources, 'pki' | 'dataDir' | 'siem'>,
  row: Pick<Gateway, 'name' | 'fqdn'>,
): Promise<NodeSiemSection | null> {
  const syslog = src.siem?.syslog;
  if (!syslog) return null;
  const spool = src.siem?.spoolMaxBytes ?? NODE_QUEUE_BYTES.min;
  const settings = {
    host: syslog.host,
    port: syslog.port,
    server_name: syslog.serverName ?? syslog.host,
    queue_max_bytes: Math.min(Math.max(spool, NODE_QUEUE_BYTES.min), NODE_QUEUE_BYTES.max),
  };
  if (!siemSettings.check(settings)) {
    // e.g. an IPv6 host without serverName: the node must match the receiver's certificate to a DNS name.
    throw siemConfigError('host/serverName: gateway nodes need a DNS name the receiver certificate carries');
  }
  const client = await loadServerCredential({
    dir: gatewayDir(src.dataDir, row.name),
    base: SIEM_CLIENT_BASE,
    issuer: src.pki.intermediates['int-tls'],
    profile: SIEM_CLIENT_PROFILE,
    names: { commonName: SIEM_CLIENT_BASE, dns: [row.fqdn] },
  });
  return {
    settings,
    material: { ca_pem: readSiemCaBundle(syslog.caFile), cert_pem: client.chainPem, key_pem: client.keyPem },
  };
}

export async function applyConfigFor(
  src: MaterialSources,
  row: Pick<Gateway, 'settings' | 'fqdn' | 'name'>,
): Promise<ApplyConfigInput> {
  const base = nodeSettings(row);
  const m = await materialOf(src, row);
  const siem = await siemSectionFor(src, row);
  const settings: GatewaySettings = { ...base, ...(siem ? { siem: siem.settings } : {}) };
  const material: GatewayMaterialInput = {
    tls_cert_pem: m.tlsGateway.chainPem,
    tls_key_pem: m.tlsGateway.keyPem,
    client_ca_pem: m.vpnCaPem,
    openvpn_cert_pem: m.vpnServer.chainPem,
    openvpn_key_pem: m.vpnServer.keyPem,
    tls_crypt_key: m.tlsCryptKey,
    crl_pem: [await currentVpnCrl(src.crl)],
    ...(siem ? { siem: siem.material } : {}),
  };
  // Our own document must satisfy the contract the node will check: fail here, not there.
  return applyConfigInput.parse(
    { config_id: configIdOf(settings, material), settings, material },
    'VIW_E_INTERNAL',
  );
}
