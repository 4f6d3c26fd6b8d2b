// The gateway profile the backend owns until real nodes are provisioned over SSH (gateway issue):
// one Gateway row (name `default`, FQDN from config) and its material under
// <dataDir>/pki/gateways/<name>/ (0700 dir, 0600 files):
//   tls-gateway.key / .backup.key / .crt   front-door TLS (int-tls, P-256), primary + backup → pins
//   vpn-server.key / .crt                  OpenVPN server (int-vpn)
//   tls-crypt.key                          OpenVPN Static key V1
// The bootstrap seals the pins, the FQDN, the VPN CA and the tls-crypt key; the gateway issue renders
// and pushes the rest through gatewayMaterial().
import { join } from 'node:path';
import type { PinSet } from '../../core/crypto/pins.js';
import type { Db } from '../data/client.js';
import { ensurePrivateDir } from '../fs/private-files.js';
import { loadPinnedCredential, loadServerCredential, type ServerCredential } from './credentials.js';
import type { EmbeddedPki } from './embedded-pki.js';
import { PROFILES } from './profiles.js';
import { loadOrCreateTlsCryptKey } from './tls-crypt.js';

export const DEFAULT_GATEWAY_NAME = 'default';
/** TLS front door port (docs/architecture.md#gateway-ports). */
export const GATEWAY_TLS_PORT = 443;
/** fwknopd's UDP port (docs/architecture.md#gateway-ports: fwknop's default). */
export const GATEWAY_SPA_PORT = 62201;

export interface GatewayProfile {
  /** Gateway row id (UUID). */
  readonly id: string;
  readonly name: string;
  readonly fqdn: string;
  readonly tlsPort: number;
  readonly spaPort: number;
  /** What clients pin for the front door. */
  readonly pins: PinSet;
  /** CA bundle that OpenVPN peers verify each other with: int-vpn + root. */
  readonly vpnCaPem: string;
}

/** Everything a gateway node needs, private keys included. Only the gateway renderer may call this. */
export interface GatewayMaterial extends GatewayProfile {
  readonly tlsGateway: ServerCredential;
  readonly vpnServer: Omit<ServerCredential, 'pins'>;
  readonly tlsCryptKey: string;
}

export function gatewayDir(dataDir: string, name: string = DEFAULT_GATEWAY_NAME): string {
  return join(dataDir, 'pki', 'gateways', name);
}

export function tlsGatewaySpec(pki: EmbeddedPki, dataDir: string, fqdn: string, name = DEFAULT_GATEWAY_NAME) {
  return {
    dir: gatewayDir(dataDir, name),
    base: 'tls-gateway',
    issuer: pki.intermediates['int-tls'],
    profile: PROFILES['tls-gateway'],
    names: { commonName: 'tls-gateway', dns: [fqdn] },
  };
}

/** Loads (creating on first start) the material of one gateway; keys persist across restarts. */
export async function loadGatewayMaterial(
  pki: EmbeddedPki,
  dataDir: string,
  fqdn: string,
  name: string = DEFAULT_GATEWAY_NAME,
): Promise<Omit<GatewayMaterial, 'id'>> {
  const dir = gatewayDir(dataDir, name);
  ensurePrivateDir(dir);
  const tlsGateway = await loadPinnedCredential(tlsGatewaySpec(pki, dataDir, fqdn, name));
  const vpnServer = await loadServerCredential({
    dir,
    base: 'vpn-server',
    issuer: pki.intermediates['int-vpn'],
    profile: PROFILES['vpn-server'],
    names: { commonName: `ovpn-${name}` },
  });
  const vpnCaPem = `${pki.intermediates['int-vpn'].cert.toString('pem').trimEnd()}\n${pki.rootPem.trimEnd()}\n`;
  return {
    name,
    fqdn,
    tlsPort: GATEWAY_TLS_PORT,
    spaPort: GATEWAY_SPA_PORT,
    pins: tlsGateway.pins,
    vpnCaPem,
    tlsGateway,
    vpnServer,
    tlsCryptKey: loadOrCreateTlsCryptKey(join(dir, 'tls-crypt.key')),
  };
}

/**
 * The backend's gateway at start: the row (created `pending`, FQDN kept in step with config; its SSH
 * host-key pin stays empty until the gateway issue provisions the node) and its material.
 */
export async function loadOrCreateGatewayProfile(
  db: Db,
  pki: EmbeddedPki,
  dataDir: string,
  fqdn: string,
): Promise<GatewayMaterial> {
  const material = await loadGatewayMaterial(pki, dataDir, fqdn);
  const row = await db.gateway.upsert({
    where: { name: material.name },
    create: { name: material.name, fqdn, sshHostKeyFingerprint: '', status: 'pending' },
    update: { fqdn },
    select: { id: true },
  });
  return { id: row.id, ...material };
}

/** The accessor the gateway issue renders and pushes node configuration from. */
export function gatewayMaterial(ctx: { readonly gateway: GatewayMaterial }): GatewayMaterial {
  return ctx.gateway;
}
